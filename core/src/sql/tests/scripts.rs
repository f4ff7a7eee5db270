//! Whole scripts as pg_dump and people write them.

use super::{Out, copy_st, data, split_str, st};

const PG_DUMP: &str = r#"--
-- PostgreSQL database dump
--

-- Dumped from database version 17.2
-- Dumped by pg_dump version 17.2

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;

--
-- Name: add(integer, integer); Type: FUNCTION; Schema: public; Owner: u
--

CREATE FUNCTION public.add(integer, integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $_$select $1 + $2;$_$;


ALTER FUNCTION public.add(integer, integer) OWNER TO u;

CREATE FUNCTION public.guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF NEW.body IS NULL THEN
    RAISE EXCEPTION 'body; is null';
  END IF;
  RETURN NEW;
END;
$$;

CREATE FUNCTION public.atomic_add(a integer, b integer) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT (atomic_add.a + atomic_add.b);
END;

CREATE TABLE public.t (
    id integer NOT NULL,
    body text
);

CREATE RULE log_insert AS
    ON INSERT TO public.t DO ALSO (INSERT INTO public.log VALUES (1); INSERT INTO public.log VALUES (2));

--
-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: u
--

COPY public.t (id, body) FROM stdin;
1	hello; world
2	it's a \\. trick
3	\\.
4	\N
5	'$$' /* -- \\
\.


SELECT pg_catalog.setval('public.t_id_seq', 5, true);

--
-- PostgreSQL database dump complete
--

"#;

#[test]
fn a_pg_dump_plain_script() {
    assert_eq!(
        split_str(PG_DUMP),
        vec![
            st("SET statement_timeout = 0", 8),
            st("SET lock_timeout = 0", 9),
            st("SET client_encoding = 'UTF8'", 10),
            st("SET standard_conforming_strings = on", 11),
            st("SELECT pg_catalog.set_config('search_path', '', false)", 12),
            st("SET check_function_bodies = false", 13),
            st(
                "CREATE FUNCTION public.add(integer, integer) RETURNS integer\n    \
                 LANGUAGE sql IMMUTABLE\n    AS $_$select $1 + $2;$_$",
                19
            ),
            st("ALTER FUNCTION public.add(integer, integer) OWNER TO u", 24),
            st(
                "CREATE FUNCTION public.guard() RETURNS trigger\n    LANGUAGE plpgsql\n    \
                 AS $$\nBEGIN\n  IF NEW.body IS NULL THEN\n    \
                 RAISE EXCEPTION 'body; is null';\n  END IF;\n  RETURN NEW;\nEND;\n$$",
                26
            ),
            st(
                "CREATE FUNCTION public.atomic_add(a integer, b integer) RETURNS integer\n    \
                 LANGUAGE sql\n    BEGIN ATOMIC\n SELECT (atomic_add.a + atomic_add.b);\nEND",
                37
            ),
            st(
                "CREATE TABLE public.t (\n    id integer NOT NULL,\n    body text\n)",
                43
            ),
            st(
                "CREATE RULE log_insert AS\n    ON INSERT TO public.t DO ALSO \
                 (INSERT INTO public.log VALUES (1); INSERT INTO public.log VALUES (2))",
                48
            ),
            copy_st("COPY public.t (id, body) FROM stdin", 55),
            data("1\thello; world\n2\tit's a \\\\. trick\n3\t\\\\.\n4\t\\N\n5\t'$$' /* -- \\\\\n"),
            Out::End,
            st("SELECT pg_catalog.setval('public.t_id_seq', 5, true)", 64),
        ]
    );
}

#[test]
fn a_migration_with_transactions_and_a_procedure() {
    let script = "BEGIN;\n\
                  CREATE TABLE accounts (id int PRIMARY KEY, balance numeric);\n\
                  CREATE OR REPLACE PROCEDURE transfer(a int, b int, amount numeric)\n\
                  LANGUAGE sql\n\
                  BEGIN ATOMIC\n  \
                    UPDATE accounts SET balance = balance - amount WHERE id = a;\n  \
                    UPDATE accounts SET balance = balance + amount WHERE id = b;\n\
                  END;\n\
                  INSERT INTO accounts VALUES (1, 10), (2, 0);\n\
                  CALL transfer(1, 2, 5);\n\
                  COMMIT;\n";
    let items = split_str(script);
    let lines: Vec<(u64, &str)> = items
        .iter()
        .map(|item| match item {
            Out::Stmt(text, line, false) => (*line, text.lines().next().unwrap_or_default()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (1, "BEGIN"),
            (
                2,
                "CREATE TABLE accounts (id int PRIMARY KEY, balance numeric)"
            ),
            (
                3,
                "CREATE OR REPLACE PROCEDURE transfer(a int, b int, amount numeric)"
            ),
            (9, "INSERT INTO accounts VALUES (1, 10), (2, 0)"),
            (10, "CALL transfer(1, 2, 5)"),
            (11, "COMMIT"),
        ]
    );
}
