//! Ferrule as a CLAP and VST3 instrument. The plugin core and the format adapters come with the plugin issue.
