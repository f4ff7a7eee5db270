//! Integration test bodies shared by the runtimes: each is generic over
//! [`Runtime`](crate::runtime::Runtime), and each area's macro
//! (`query_tests!`, `copy_tests!`, ...) turns them into `#[test]`s for
//! one runtime. `tests/tests/<area>.rs` instantiates them for both.

#![allow(clippy::unwrap_used, missing_docs)]

pub mod cancel;
pub mod connect;
pub mod copy;
pub mod query;
pub mod schema;

use sequelae_core::config::{ConnectSettings, Environment};

use crate::runtime::{Runtime, TestClient};

/// Settings from a URL or conninfo, with no environment leaking in.
pub fn settings(conn: &str) -> ConnectSettings {
    ConnectSettings::resolve(Some(conn), &Environment::new().with_os_user("nobody")).unwrap()
}

/// A superuser session on `database` of the shared cluster.
pub fn superuser<R: Runtime>(database: &str) -> R::Client {
    let cluster = crate::Cluster::shared();
    R::connect(&settings(&cluster.superuser_conninfo(database))).unwrap()
}

/// The first column of the first row of `sql`'s first result.
pub fn scalar(client: &mut impl TestClient, sql: &str) -> Option<String> {
    let results = client.simple_query(sql).unwrap();
    results
        .first()?
        .rows
        .first()?
        .get_str(0)
        .map(str::to_string)
}

/// One `#[test]` per name, calling `shared::$module::$name::<$runtime>`.
#[doc(hidden)]
#[macro_export]
macro_rules! __shared_tests {
    ($runtime:ty, $module:ident, [$($name:ident),* $(,)?]) => {
        $(
            #[test]
            fn $name() {
                $crate::shared::$module::$name::<$runtime>();
            }
        )*
    };
}
