//! Simple and extended queries against a real server, on both runtimes:
//! the bodies are in `sequelae_tests::shared::query`.

mod std_runtime {
    sequelae_tests::query_tests!(sequelae_tests::runtime::Std);
}

mod smol_runtime {
    sequelae_tests::query_tests!(sequelae_tests::runtime::Smol);
}
