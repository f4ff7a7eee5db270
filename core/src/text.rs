//! Small text algorithms shared by the modules that suggest what the user
//! probably meant (connection keywords, table names).

/// Optimal string alignment distance over characters: Levenshtein plus a
/// swap of two neighbours counting as one edit, since swaps (`hots` for
/// `host`, `usres` for `users`) are the commonest typo.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    edit_distance_chars(&a, &b)
}

/// [`edit_distance`] over prepared character slices, for callers that
/// compare one name against many.
pub fn edit_distance_chars(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        d[at(i, 0)] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[at(i - 1, j)] + 1)
                .min(d[at(i, j - 1)] + 1)
                .min(d[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[at(i - 2, j - 2)] + 1);
            }
            d[at(i, j)] = best;
        }
    }
    d[at(a.len(), b.len())]
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("", "", 0)]
    #[case("host", "host", 0)]
    #[case("hots", "host", 1)]
    #[case("usres", "users", 1)]
    #[case("user", "users", 1)]
    #[case("dbname", "dbnmae", 1)]
    #[case("kitten", "sitting", 3)]
    #[case("ca", "abc", 3)]
    #[case("日本", "本日", 1)]
    fn distances(#[case] a: &str, #[case] b: &str, #[case] expected: usize) {
        assert_eq!(edit_distance(a, b), expected);
        assert_eq!(edit_distance(b, a), expected);
    }
}
