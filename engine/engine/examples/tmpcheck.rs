fn main() {
    let src = ferrule_engine::PatchSource::read(std::env::args().nth(1).unwrap()).unwrap();
    match ferrule_engine::compile(&src, &Default::default()) { Ok(_) => println!("ok"), Err(d) => print!("{d}") }
}
