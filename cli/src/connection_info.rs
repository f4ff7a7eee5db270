//! `sequelae connection-info`: the settings a command would connect with,
//! and where each came from, without connecting. For "why does sequelae
//! reach a different database than psql?" questions; never shows the
//! password.

use sequelae_core::config::{ConnectSettings, ConnectionReport};
use sequelae_std::{
    environment_with_dotenv, load_pgpass, pgpass_path, process_environment, read_service_file,
};

use crate::GlobalOptions;
use crate::exit::Failure;

pub(crate) fn run(global: &GlobalOptions) -> Result<(), Failure> {
    let env = environment_with_dotenv();
    let settings = ConnectSettings::resolve_with_files(
        global.database_url.as_deref(),
        &env,
        &read_service_file,
    )
    .map_err(|e| Failure::Usage(e.to_string()))?;
    // The password file is found as `Client::connect` finds it.
    let process = process_environment();
    let (pgpass, warnings) = if settings.password.is_none() {
        load_pgpass(&settings, &process)
    } else {
        (None, Vec::new())
    };
    let path = pgpass_path(&settings, &process).map(|p| p.display().to_string());
    let report = ConnectionReport::new(&settings, pgpass.as_ref(), path.as_deref());
    let text = if global.json {
        json(&report, &settings, &warnings)
    } else {
        for warning in &warnings {
            crate::output::note(&format!("sequelae: warning: {warning}"));
        }
        text(&report)
    };
    crate::output::print(&text)
}

fn text(report: &ConnectionReport) -> String {
    let source = |key| report.source(key).unwrap_or("default");
    let mut s = format!(
        "hosts, in the order tried (host: {}; hostaddr: {}; port: {}):\n",
        source("host"),
        source("hostaddr"),
        source("port")
    );
    for (i, host) in report.hosts.iter().enumerate() {
        let kind = if host.socket { "Unix socket" } else { "TCP" };
        let addr = host
            .hostaddr
            .as_deref()
            .map(|a| format!("  hostaddr {a}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "  {}. {}{addr}  port {}  {kind}\n",
            i + 1,
            host.host,
            host.port
        ));
    }
    let password = if report.password_set {
        "set"
    } else {
        "not set"
    };
    let rows = [
        ("user", report.user.as_str(), "user"),
        ("dbname", report.dbname.as_str(), "dbname"),
        ("sslmode", report.sslmode.as_str(), "sslmode"),
        (
            "target_session_attrs",
            report.target_session_attrs.as_str(),
            "target_session_attrs",
        ),
        ("password", password, "password"),
    ];
    for (name, value, key) in rows {
        s.push_str(&format!("{name:<21} {value}  ({})\n", source(key)));
    }
    for (key, value) in &report.tls {
        let value = if value.is_empty() { "-" } else { value };
        s.push_str(&format!("{key:<21} {value}  ({})\n", source(key)));
    }
    s
}

fn json(report: &ConnectionReport, settings: &ConnectSettings, warnings: &[String]) -> String {
    let hosts: Vec<serde_json::Value> = report
        .hosts
        .iter()
        .map(|h| {
            serde_json::json!({
                "host": h.host,
                "hostaddr": h.hostaddr,
                "port": h.port,
                "socket": h.socket,
            })
        })
        .collect();
    let sources: serde_json::Map<String, serde_json::Value> = report
        .sources
        .iter()
        .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(v.as_str())))
        .collect();
    let document = serde_json::json!({
        "success": true,
        "hosts": hosts,
        "user": report.user,
        "dbname": report.dbname,
        "sslmode": report.sslmode,
        "tls": report
            .tls
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(v.as_str())))
            .collect::<serde_json::Map<String, serde_json::Value>>(),
        "targetSessionAttrs": report.target_session_attrs,
        "passwordSet": report.password_set,
        "serviceFile": settings.service_file,
        "sources": sources,
        "warnings": warnings,
    });
    format!("{document}\n")
}
