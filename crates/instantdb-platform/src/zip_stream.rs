//! A streaming zip writer: entries of unknown size written one after the other to any `Write`,
//! with data descriptors and zip64 sizes and offsets, so neither entries nor the archive have a
//! 4 GiB limit and nothing is ever seeked.
//!
//! Why not the `zip` crate's writer: its streaming mode (releases 4 to 6, the last ones that
//! build with the workspace's rustc 1.85) fails to finish any entry larger than 4 GiB ("Large
//! file option has not been set" even with `large_file(true)`); release 7 fixed it but needs
//! rustc 1.88. The format written here is small (APPNOTE 6.3: local header, data, zip64 data
//! descriptor; central directory; zip64 end records), and the tests read every archive back
//! with the `zip` crate's reader, one of them past 4 GiB.

use std::io::{self, Write};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
/// 4.5: zip64.
const VERSION: u16 = 45;
/// Made by: Unix (3), spec 4.5, so the external attributes are Unix modes.
const MADE_BY: u16 = (3 << 8) | VERSION;
/// Sizes come after the data (bit 3); names are UTF-8 (bit 11).
const FLAGS: u16 = (1 << 3) | (1 << 11);
/// `-rw-r--r--` regular file.
const FILE_MODE: u32 = 0o100_644;
const U32_MAX: u64 = u32::MAX as u64;

/// How an entry is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Stored,
    Deflated,
}

impl Method {
    fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}

/// A DOS date and time (local time as zip stores it; we store UTC, as most tools do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DosTime {
    pub(crate) date: u16,
    pub(crate) time: u16,
}

impl DosTime {
    /// From calendar fields; years outside 1980–2107 are clamped.
    pub(crate) fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> DosTime {
        let year = year.clamp(1980, 2107) - 1980;
        DosTime {
            date: (year << 9) | (u16::from(month.clamp(1, 12)) << 5) | u16::from(day.clamp(1, 31)),
            time: (u16::from(hour.min(23)) << 11)
                | (u16::from(minute.min(59)) << 5)
                | u16::from(second.min(59) / 2),
        }
    }
}

struct CentralEntry {
    name: Vec<u8>,
    method: Method,
    modified: DosTime,
    crc32: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
}

/// Counts the bytes written through it.
struct Counted<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a zip archive to `W` entry by entry.
pub(crate) struct ZipStream<W: Write> {
    out: Counted<W>,
    entries: Vec<CentralEntry>,
}

impl<W: Write> ZipStream<W> {
    pub(crate) fn new(out: W) -> ZipStream<W> {
        ZipStream {
            out: Counted {
                inner: out,
                written: 0,
            },
            entries: Vec::new(),
        }
    }

    /// Starts an entry; write its data to the returned writer, then call
    /// [`EntryWriter::finish`].
    pub(crate) fn start_entry(
        &mut self,
        name: &str,
        method: Method,
        modified: DosTime,
    ) -> io::Result<EntryWriter<'_, W>> {
        let name = name.as_bytes().to_vec();
        let name_len = u16::try_from(name.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "entry name too long"))?;
        let offset = self.out.written;
        let mut header = Vec::with_capacity(30 + name.len() + 20);
        put32(&mut header, LOCAL_HEADER);
        put16(&mut header, VERSION);
        put16(&mut header, FLAGS);
        put16(&mut header, method.code());
        put16(&mut header, modified.time);
        put16(&mut header, modified.date);
        put32(&mut header, 0); // crc32: in the data descriptor
        // Sizes are in the data descriptor; 0xFFFFFFFF plus a zip64 extra field tells readers
        // that the descriptor's sizes are 8 bytes each.
        put32(&mut header, u32::MAX);
        put32(&mut header, u32::MAX);
        put16(&mut header, name_len);
        put16(&mut header, 20);
        header.extend_from_slice(&name);
        put16(&mut header, ZIP64_EXTRA);
        put16(&mut header, 16);
        put64(&mut header, 0);
        put64(&mut header, 0);
        self.out.write_all(&header)?;
        let start = self.out.written;
        let sink = match method {
            Method::Stored => Sink::Stored(&mut self.out),
            Method::Deflated => Sink::Deflated(flate2::write::DeflateEncoder::new(
                &mut self.out,
                flate2::Compression::default(),
            )),
        };
        Ok(EntryWriter {
            sink: Some(sink),
            crc: crc32fast::Hasher::new(),
            uncompressed: 0,
            entry: CentralEntry {
                name,
                method,
                modified,
                crc32: 0,
                compressed: 0,
                uncompressed: 0,
                offset,
            },
            start,
            entries: &mut self.entries,
        })
    }

    /// Writes the central directory and the end records, and returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let central_start = self.out.written;
        for entry in &self.entries {
            let zip64: Vec<u64> = [entry.uncompressed, entry.compressed, entry.offset]
                .into_iter()
                .filter(|value| *value >= U32_MAX)
                .collect();
            let capped = |value: u64| {
                if value >= U32_MAX {
                    u32::MAX
                } else {
                    value as u32
                }
            };
            let mut record = Vec::with_capacity(46 + entry.name.len() + 28);
            put32(&mut record, CENTRAL_HEADER);
            put16(&mut record, MADE_BY);
            put16(&mut record, VERSION);
            put16(&mut record, FLAGS);
            put16(&mut record, entry.method.code());
            put16(&mut record, entry.modified.time);
            put16(&mut record, entry.modified.date);
            put32(&mut record, entry.crc32);
            put32(&mut record, capped(entry.compressed));
            put32(&mut record, capped(entry.uncompressed));
            put16(&mut record, entry.name.len() as u16);
            let extra_len = if zip64.is_empty() {
                0
            } else {
                4 + 8 * zip64.len()
            };
            put16(&mut record, extra_len as u16);
            put16(&mut record, 0); // comment
            put16(&mut record, 0); // disk
            put16(&mut record, 0); // internal attributes
            put32(&mut record, FILE_MODE << 16);
            put32(&mut record, capped(entry.offset));
            record.extend_from_slice(&entry.name);
            if !zip64.is_empty() {
                // Only the fields set to 0xFFFFFFFF above, in this order (APPNOTE 4.5.3).
                put16(&mut record, ZIP64_EXTRA);
                put16(&mut record, (8 * zip64.len()) as u16);
                for value in zip64 {
                    put64(&mut record, value);
                }
            }
            self.out.write_all(&record)?;
        }
        let central_size = self.out.written - central_start;
        let count = self.entries.len() as u64;

        let zip64_end_offset = self.out.written;
        let mut end = Vec::with_capacity(56 + 20 + 22);
        put32(&mut end, ZIP64_END);
        put64(&mut end, 44); // size of the rest of this record
        put16(&mut end, MADE_BY);
        put16(&mut end, VERSION);
        put32(&mut end, 0); // this disk
        put32(&mut end, 0); // disk of the central directory
        put64(&mut end, count);
        put64(&mut end, count);
        put64(&mut end, central_size);
        put64(&mut end, central_start);

        put32(&mut end, ZIP64_LOCATOR);
        put32(&mut end, 0);
        put64(&mut end, zip64_end_offset);
        put32(&mut end, 1); // disks

        let count16 = u16::try_from(count).unwrap_or(u16::MAX);
        put32(&mut end, END);
        put16(&mut end, 0);
        put16(&mut end, 0);
        put16(&mut end, count16);
        put16(&mut end, count16);
        put32(&mut end, u32::try_from(central_size).unwrap_or(u32::MAX));
        put32(&mut end, u32::try_from(central_start).unwrap_or(u32::MAX));
        put16(&mut end, 0); // comment
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out.inner)
    }
}

enum Sink<'a, W: Write> {
    Stored(&'a mut Counted<W>),
    Deflated(flate2::write::DeflateEncoder<&'a mut Counted<W>>),
}

/// The data of one entry; [`EntryWriter::finish`] ends it.
pub(crate) struct EntryWriter<'a, W: Write> {
    sink: Option<Sink<'a, W>>,
    crc: crc32fast::Hasher,
    uncompressed: u64,
    entry: CentralEntry,
    start: u64,
    entries: &'a mut Vec<CentralEntry>,
}

impl<W: Write> Write for EntryWriter<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = match self.sink.as_mut() {
            Some(Sink::Stored(out)) => out.write(data)?,
            Some(Sink::Deflated(encoder)) => encoder.write(data)?,
            None => return Err(io::Error::other("the entry is finished")),
        };
        self.crc.update(&data[..n]);
        self.uncompressed += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Stored(out)) => out.flush(),
            Some(Sink::Deflated(encoder)) => encoder.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> EntryWriter<'_, W> {
    /// Ends the entry: flushes the compressor and writes the data descriptor.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        let out = match self.sink.take() {
            Some(Sink::Stored(out)) => out,
            Some(Sink::Deflated(encoder)) => encoder.finish()?,
            None => return Ok(()),
        };
        let compressed = out.written - self.start;
        let crc32 = self.crc.clone().finalize();
        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, crc32);
        put64(&mut descriptor, compressed);
        put64(&mut descriptor, self.uncompressed);
        out.write_all(&descriptor)?;
        self.entry.crc32 = crc32;
        self.entry.compressed = compressed;
        self.entry.uncompressed = self.uncompressed;
        let entry = std::mem::replace(
            &mut self.entry,
            CentralEntry {
                name: Vec::new(),
                method: Method::Stored,
                modified: DosTime { date: 0, time: 0 },
                crc32: 0,
                compressed: 0,
                uncompressed: 0,
                offset: 0,
            },
        );
        self.entries.push(entry);
        Ok(())
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn archive(entries: &[(&str, Method, &[u8])]) -> Vec<u8> {
        let mut zip = ZipStream::new(Vec::new());
        for (name, method, data) in entries {
            let mut entry = zip
                .start_entry(name, *method, DosTime::new(2024, 1, 2, 3, 4, 5))
                .unwrap();
            // In pieces, as the archive writer feeds it.
            for piece in data.chunks(7) {
                entry.write_all(piece).unwrap();
            }
            entry.finish().unwrap();
        }
        zip.finish().unwrap()
    }

    #[test]
    fn archives_read_back_with_the_zip_crate() {
        let text = b"{\"id\":1}\n".repeat(300);
        let bytes = archive(&[
            ("config.json", Method::Deflated, b"{}"),
            ("entities/goals.jsonl", Method::Deflated, &text),
            ("files/empty", Method::Stored, b""),
            ("files/caf\u{e9}", Method::Stored, b"raw bytes"),
        ]);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let expected: [(&str, &[u8]); 4] = [
            ("config.json", b"{}"),
            ("entities/goals.jsonl", &text),
            ("files/empty", b""),
            ("files/caf\u{e9}", b"raw bytes"),
        ];
        assert_eq!(zip.len(), 4);
        for (index, (name, data)) in expected.iter().enumerate() {
            let mut entry = zip.by_index(index).unwrap();
            assert_eq!(entry.name(), *name);
            let mut out = Vec::new();
            entry.read_to_end(&mut out).unwrap();
            assert_eq!(&out, data, "{name}");
            assert_eq!(entry.crc32(), crc32fast::hash(data));
            let modified = entry.last_modified().unwrap();
            assert_eq!(
                (
                    modified.year(),
                    modified.month(),
                    modified.day(),
                    modified.hour(),
                    modified.minute(),
                    modified.second()
                ),
                (2024, 1, 2, 3, 4, 4)
            );
            assert_eq!(entry.unix_mode(), Some(FILE_MODE));
        }
        let deflated = zip.by_name("entities/goals.jsonl").unwrap();
        assert_eq!(deflated.compression(), zip::CompressionMethod::Deflated);
        assert!(deflated.compressed_size() < text.len() as u64 / 10);
    }

    #[test]
    fn an_empty_archive_is_valid() {
        let bytes = archive(&[]);
        assert_eq!(
            zip::ZipArchive::new(std::io::Cursor::new(bytes))
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn dos_times_clamp() {
        let t = DosTime::new(1970, 1, 1, 0, 0, 0);
        assert_eq!(t.date, (1 << 5) | 1);
        let t = DosTime::new(2200, 12, 31, 23, 59, 59);
        assert_eq!(t.date >> 9, 127);
        assert_eq!(t.time, (23 << 11) | (59 << 5) | 29);
    }
}
