//! gradebook.csv: its columns, its rows in the submissions' order, and a rerun into the same
//! folder, which keeps the rows of the submissions not graded again.

use super::write_readable;
use crate::wording::number;
use crate::workbook::manifest::Exercise;
use std::path::{Path, PathBuf};

/// The columns after the exercises'.
const LAST_COLUMNS: [&str; 6] = ["total", "max", "status", "reason", "seconds", "seed"];

/// `submission`, one column per exercise, then `total,max,status,reason,seconds,seed`.
pub fn columns(exercises: &[Exercise]) -> Vec<String> {
    let mut columns = vec!["submission".to_string()];
    columns.extend(exercises.iter().map(|e| e.name.clone()));
    columns.extend(LAST_COLUMNS.map(String::from));
    columns
}

/// One submission's row, as the gradebook holds it.
pub struct Row<'a> {
    pub name: &'a str,
    pub scores: &'a [f64],
    pub max: u32,
    pub status: &'a str,
    pub reason: &'a str,
    pub seconds: f64,
    pub seed: u64,
}

impl Row<'_> {
    pub fn cells(&self) -> Vec<String> {
        let mut cells = vec![self.name.to_string()];
        cells.extend(self.scores.iter().map(|s| number(*s)));
        cells.extend([
            number(self.scores.iter().sum()),
            self.max.to_string(),
            self.status.to_string(),
            // One line, whatever the reason quotes.
            self.reason.split_whitespace().collect::<Vec<_>>().join(" "),
            format!("{:.1}", self.seconds),
            self.seed.to_string(),
        ]);
        cells
    }
}

/// The gradebook of a grading: the rows kept from the one already in the folder, in place,
/// then the submissions new to it, in the order given; a row is empty until known.
pub struct Gradebook {
    path: PathBuf,
    columns: Vec<String>,
    rows: Vec<(String, Option<Vec<String>>)>,
}

impl Gradebook {
    /// The gradebook for `names` in `out`: with the rows of the one there when it has these
    /// columns; refused when it has others, unless `force`, which starts it anew.
    pub fn open(
        out: &Path,
        columns: Vec<String>,
        names: &[String],
        force: bool,
    ) -> Result<Gradebook, String> {
        let path = out.join("gradebook.csv");
        let mut rows: Vec<(String, Option<Vec<String>>)> = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            Ok(bytes) => match kept_rows(&String::from_utf8_lossy(&bytes), &columns) {
                Ok(rows) => rows.into_iter().map(|r| (r[0].clone(), Some(r))).collect(),
                Err(_) if force => Vec::new(),
                Err(why) => {
                    return Err(format!(
                        "{} {why}, written by another version of the exercises or by hand; \
                         grade into another --out folder, or add --force to replace it",
                        path.display()
                    ));
                }
            },
        };
        for name in names {
            if !rows.iter().any(|(n, _)| n == name) {
                rows.push((name.clone(), None));
            }
        }
        Ok(Gradebook {
            path,
            columns,
            rows,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts a submission's row in its place.
    pub fn set(&mut self, cells: Vec<String>) {
        let name = cells.first().cloned().unwrap_or_default();
        match self.rows.iter_mut().find(|(n, _)| *n == name) {
            Some((_, row)) => *row = Some(cells),
            None => self.rows.push((name, Some(cells))),
        }
    }

    /// Rewrites the file with every row known so far (a temporary file renamed over it, so a
    /// reader never sees half of it).
    pub fn write(&self) -> Result<(), String> {
        write_readable(&self.path, self.text().as_bytes())
    }

    fn text(&self) -> String {
        let mut csv = line(&self.columns);
        for cells in self.rows.iter().filter_map(|(_, r)| r.as_ref()) {
            csv.push_str(&line(cells));
        }
        csv
    }
}

/// The rows of a gradebook with exactly `columns`; why not, when its columns differ or it is
/// not one grade wrote.
fn kept_rows(text: &str, columns: &[String]) -> Result<Vec<Vec<String>>, String> {
    let mut records = records(text)?.into_iter();
    let header = records.next().unwrap_or_default();
    if header != columns {
        let differs = (0..header.len().max(columns.len()))
            .find(|&i| header.get(i) != columns.get(i))
            .unwrap_or(0);
        return Err(match (header.get(differs), columns.get(differs)) {
            (Some(there), Some(here)) => format!(
                "has other columns (column {} is `{there}`, not `{here}`)",
                differs + 1
            ),
            (None, Some(here)) => format!("has no column `{here}`"),
            (Some(there), None) => format!("has a column `{there}` too many"),
            (None, None) => "has other columns".to_string(),
        });
    }
    let rows: Vec<Vec<String>> = records.collect();
    if let Some(bad) = rows
        .iter()
        .position(|r| r.len() != columns.len() || r[0].is_empty())
    {
        return Err(format!(
            "has a row ({}) that does not fit its columns",
            bad + 2
        ));
    }
    if let Some((i, row)) = rows
        .iter()
        .enumerate()
        .find(|(i, r)| rows[..*i].iter().any(|earlier| earlier[0] == r[0]))
    {
        return Err(format!(
            "has two rows for `{}` (the second: {})",
            row[0],
            i + 2
        ));
    }
    Ok(rows)
}

/// A CSV line: the fields, each quoted when it holds a comma, a quote or a line break.
fn line(cells: &[String]) -> String {
    let fields: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
    fields.join(",") + "\n"
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The records of a CSV text (RFC 4180: quoted fields may hold commas, doubled quotes and
/// line breaks); empty lines are skipped.
fn records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() && !was_quoted => (quoted, was_quoted) = (true, true),
            (false, ',') => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                if !(record.is_empty() && field.is_empty() && !was_quoted) {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                was_quoted = false;
            }
            (false, '"') => return Err("has a stray quote".into()),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("ends inside a quoted field".into());
    }
    if !(record.is_empty() && field.is_empty() && !was_quoted) {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_row_has_its_scores_total_status_reason_time_and_seed() {
        let exercises = crate::workbook::manifest::exercises();
        let mut scores = vec![0.0; exercises.len()];
        scores[0] = 20.0;
        scores[1] = 2.5;
        let row = Row {
            name: "ann, b",
            scores: &scores,
            max: 185,
            status: "graded",
            reason: "02 failed (\"hi\"\nthere)",
            seconds: 12.34,
            seed: 9,
        };
        let csv = line(&row.cells());
        let zeros = ",0".repeat(exercises.len() - 2);
        assert_eq!(
            csv,
            format!(
                "\"ann, b\",20,2.5{zeros},22.5,185,graded,\"02 failed (\"\"hi\"\" there)\",12.3,9\n"
            )
        );
        assert_eq!(records(&csv), Ok(vec![row.cells()]));
        let names: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            line(&columns(&exercises)),
            format!(
                "submission,{},total,max,status,reason,seconds,seed\n",
                names.join(",")
            )
        );
    }

    #[test]
    fn csv_records_keep_quoted_commas_quotes_and_line_breaks() {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\n\"two\nlines\",,\"\"\n";
        assert_eq!(
            records(text),
            Ok(vec![
                strings(&["a", "b,c", "say \"hi\""]),
                strings(&["two\nlines", "", ""]),
            ])
        );
        assert!(records("a,\"b\n").is_err());
        assert!(records("a,b\"c\n").is_err());
    }

    #[test]
    fn a_rerun_keeps_other_rows_in_place_and_refuses_other_columns() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let columns = strings(&["submission", "01", "total", "seed"]);
        let names = strings(&["bob", "cy"]);
        std::fs::write(
            dir.path().join("gradebook.csv"),
            "submission,01,total,seed\nann,1,1,5\nbob,2,2,5\n",
        )
        .expect("write");
        let mut book =
            Gradebook::open(dir.path(), columns.clone(), &names, false).expect("same columns");
        book.set(strings(&["cy", "4", "4", "6"]));
        assert_eq!(
            book.text(),
            "submission,01,total,seed\nann,1,1,5\nbob,2,2,5\ncy,4,4,6\n"
        );
        book.set(strings(&["bob", "3", "3", "6"]));
        assert_eq!(
            book.text(),
            "submission,01,total,seed\nann,1,1,5\nbob,3,3,6\ncy,4,4,6\n"
        );
        let other = strings(&["submission", "01", "total"]);
        let refused = Gradebook::open(dir.path(), other.clone(), &names, false)
            .err()
            .unwrap_or_default();
        assert!(
            refused.contains("has a column `seed` too many") && refused.contains("--force"),
            "{refused}"
        );
        let forced = Gradebook::open(dir.path(), other, &names, true).expect("forced");
        assert_eq!(forced.text(), "submission,01,total\n");
        let twice = "submission,01,total,seed\nann,1,1,5\nann,2,2,5\n";
        std::fs::write(dir.path().join("gradebook.csv"), twice).expect("write");
        let refused = Gradebook::open(dir.path(), columns, &names, false)
            .err()
            .unwrap_or_default();
        assert!(refused.contains("two rows for `ann`"), "{refused}");
    }
}
