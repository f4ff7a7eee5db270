//! Cancelling a running query from another thread, on both runtimes: the
//! bodies are in `sequelae_tests::shared::cancel`.

mod std_runtime {
    sequelae_tests::cancel_tests!(sequelae_tests::runtime::Std);
}

mod smol_runtime {
    sequelae_tests::cancel_tests!(sequelae_tests::runtime::Smol);
}
