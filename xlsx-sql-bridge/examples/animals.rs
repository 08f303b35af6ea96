//! Writes `fixtures/animals.xlsx`, the workbook of the paper's figure: a
//! sheet `Animals` of camera-trap records (the tour and the README use it).
//!
//! ```text
//! cargo run -p xlsx-sql-bridge --example animals -- xlsx-sql-bridge/fixtures/animals.xlsx
//! ```
//!
//! The first rows are the figure's. Heights are whole numbers in most rows,
//! but not in all (2.5 m further down), which is why the figure prints every
//! height as a decimal (`3.0`) while counts and bearings stay integers.

use rust_xlsxwriter::Workbook;

const HEADER: [&str; 8] = [
    "Compass Bearing",
    "Height from ground",
    "Height from trail",
    "Trigger ID",
    "Camera Number",
    "Animal",
    "Number of animals",
    "Temp",
];

/// One record: bearing, heights from ground and trail (m), trigger id,
/// camera, animal code, count, temperature (°F).
type Record = (
    u32,
    f64,
    f64,
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
);

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "animals.xlsx".to_owned());
    let rows: [Record; 12] = [
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684650",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684651",
            "SMFP3",
            "DGER",
            1,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684652",
            "SMFP3",
            "DGER",
            1,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684655",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684656",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684657",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684658",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684659",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            15,
            3.0,
            12.0,
            "SSAI0000000004684660",
            "SMFP3",
            "DGER",
            2,
            46,
        ),
        (
            220,
            2.5,
            11.5,
            "SSAI0000000004690001",
            "SMFP7",
            "PBAR",
            1,
            41,
        ),
        (
            220,
            2.5,
            11.5,
            "SSAI0000000004690002",
            "SMFP7",
            "PBAR",
            3,
            41,
        ),
        (
            305,
            1.75,
            8.0,
            "SSAI0000000004690117",
            "SMFP9",
            "CBRA",
            1,
            39,
        ),
    ];
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Animals")?;
    for (col, title) in HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *title)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, row.0)?;
        sheet.write_number(r, 1, row.1)?;
        sheet.write_number(r, 2, row.2)?;
        sheet.write_string(r, 3, row.3)?;
        sheet.write_string(r, 4, row.4)?;
        sheet.write_string(r, 5, row.5)?;
        sheet.write_number(r, 6, row.6)?;
        sheet.write_number(r, 7, row.7)?;
    }
    workbook.save(&path)?;
    eprintln!("wrote {path}");
    Ok(())
}
