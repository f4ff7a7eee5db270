//! Connecting the way psql does, on both runtimes: the bodies are in
//! `sequelae_tests::shared::connect`.

mod std_runtime {
    sequelae_tests::connect_tests!(sequelae_tests::runtime::Std);
}

mod smol_runtime {
    sequelae_tests::connect_tests!(sequelae_tests::runtime::Smol);
}
