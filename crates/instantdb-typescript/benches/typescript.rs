//! `parse_schema` and `codegen_schema` on a 30-entity, 360-attribute, 40-link schema
//! (`benches/bench.schema.ts`, a raw generated file). `cargo xtask bench typescript` runs these
//! and the official `@instantdb/platform` on the same file, and prints the ratios.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use instantdb_typescript::{Style, generate_schema_file, parse_schema_typescript_file};

const SCHEMA: &str = include_str!("bench.schema.ts");

fn benches(c: &mut Criterion) {
    let schema = parse_schema_typescript_file(SCHEMA, "bench.schema.ts").expect("bench schema");
    assert_eq!(schema.entities.len(), 30);
    assert_eq!(
        schema
            .entities
            .values()
            .map(|e| e.attrs.len())
            .sum::<usize>(),
        360
    );
    assert_eq!(schema.links.len(), 40);
    // The official bench generates from the parsed schema with itself as `prev`; so does this.
    assert_eq!(
        generate_schema_file(Some(&schema), &schema, "@instantdb/core", Style::Raw),
        SCHEMA
    );

    c.bench_function("parse_schema", |b| {
        b.iter(|| parse_schema_typescript_file(black_box(SCHEMA), "bench.schema.ts"))
    });
    c.bench_function("codegen_schema", |b| {
        b.iter(|| {
            generate_schema_file(
                Some(&schema),
                black_box(&schema),
                "@instantdb/core",
                Style::Raw,
            )
        })
    });
    c.bench_function("codegen_schema_prettier", |b| {
        b.iter(|| {
            generate_schema_file(
                Some(&schema),
                black_box(&schema),
                "@instantdb/core",
                Style::Prettier,
            )
        })
    });
}

criterion_group!(typescript, benches);
criterion_main!(typescript);
