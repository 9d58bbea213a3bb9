//! Ferrule's plugin window. Built in the editor issue.
