//! `sequelae_core::schema` against a real server, pumped by both runtimes:
//! the bodies are in `sequelae_tests::shared::schema`.

mod std_runtime {
    sequelae_tests::schema_tests!(sequelae_tests::runtime::Std);
}

mod smol_runtime {
    sequelae_tests::schema_tests!(sequelae_tests::runtime::Smol);
}
