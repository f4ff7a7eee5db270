//! Blocking runtime.
