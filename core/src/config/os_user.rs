//! libpq's default user name: the effective user's name from the password
//! database (getpwuid), as the runtime reads the files.

/// The effective user's name, given the text of `/proc/self/status` (for
/// the effective uid) and of `/etc/passwd`; else `fallback` (`$USER`, else
/// `$LOGNAME`) when it is not empty.
pub fn os_user_from(proc_status: &str, passwd: &str, fallback: Option<&str>) -> Option<String> {
    let uid = proc_status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1));
    let from_passwd = uid.and_then(|uid| {
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let (name, _, id) = (fields.next()?, fields.next()?, fields.next()?);
            (id == uid).then(|| name.to_string())
        })
    });
    from_passwd.or_else(|| fallback.filter(|u| !u.is_empty()).map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::os_user_from;

    const STATUS: &str = "Name:\tsequelae\nUid:\t1000\t1001\t1001\t1001\nGid:\t100\n";
    const PASSWD: &str = "root:x:0:0::/root:/bin/sh\nalice:x:1000:100::/home/a:/bin/sh\nbob:x:1001:100::/home/b:/bin/sh\n";

    #[test]
    fn the_effective_uid_names_the_user() {
        assert_eq!(
            os_user_from(STATUS, PASSWD, Some("env")).as_deref(),
            Some("bob")
        );
    }

    #[test]
    fn falls_back_to_the_environment() {
        assert_eq!(
            os_user_from("", PASSWD, Some("env")).as_deref(),
            Some("env")
        );
        assert_eq!(
            os_user_from(STATUS, "root:x:0:0\n", Some("env")).as_deref(),
            Some("env")
        );
        assert_eq!(os_user_from(STATUS, "", Some("")), None);
        assert_eq!(os_user_from("", "", None), None);
    }
}
