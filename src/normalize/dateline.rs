//! The fields a dispatch states in its first lines: category, title,
//! dateline (place, date, agency) and the date itself.
//!
//! - The title line may open with a category prefix ending in a colon:
//!   `国际英语资讯:France not to accept …` (`corpus/000_e9f58710e6d47200.txt`).
//!   Only a prefix written in CJK script is a category: an English title such
//!   as `… presidential election: FM` has a colon of its own.
//! - The first paragraph may open with a dateline,
//!   `PARIS, Feb. 15 (Xinhua) -- `: place in capitals, month and day, agency in
//!   parentheses, then a dash. Reuters writes `NEW YORK, March 2 - `.
//! - A dateline has no year: it is taken from the file's path when the path
//!   holds one (`2017/02/…`, `2017-02-15`, `20170215`), else from the caller.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Date {
    /// The year, e.g. 2017.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
}

impl Date {
    /// Builds a date, or `None` when the day does not exist.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Date::new(year, month, day)
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's
    /// `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::days_since_epoch`].
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What a dateline states.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Dateline {
    /// The place, as written: `PARIS`, `BUENOS AIRES`, `NEW YORK, N.Y.`.
    pub place: String,
    /// The month and day as written (`Feb. 15`), if stated.
    pub date_text: Option<String>,
    /// The month (1–12) and day, if stated and valid.
    pub month_day: Option<(u32, u32)>,
    /// The agency (`Xinhua`, `Reuters`), if stated.
    pub agency: Option<String>,
}

/// Splits a title line into its category prefix, if any, and the title.
pub fn split_title(line: &str) -> (Option<String>, String) {
    if let Some(at) = line.find([':', '：']) {
        let prefix = line[..at].trim();
        let is_category = !prefix.is_empty()
            && prefix.chars().count() <= 20
            && prefix.chars().all(|c| is_cjk(c) || c.is_alphanumeric())
            && prefix.chars().any(is_cjk);
        if is_category {
            let colon_len = line[at..].chars().next().map_or(1, char::len_utf8);
            let title = line[at + colon_len..].trim();
            return (Some(prefix.to_string()), title.to_string());
        }
    }
    (None, line.trim().to_string())
}

/// True for characters of the CJK scripts, which are written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF      // radicals
        | 0x3040..=0x30FF    // hiragana, katakana
        | 0x3100..=0x312F    // bopomofo
        | 0x3130..=0x318F    // hangul compatibility jamo
        | 0x31A0..=0x31FF
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7AF    // hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFF66..=0xFF9D    // half-width katakana
        | 0x20000..=0x3134F) // extensions B–G
}

static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^
        (?P<place>\p{Lu}[\p{Lu}\p{M}\ .'’&-]*?(?:,\ ?\p{Lu}[\p{Lu}\p{M}\ .'’&-]*?)?)
        (?:,\ *(?P<date>(?P<month>[A-Z][a-z]{2,8})\.?\ +(?P<day>\d{1,2})))?
        \ *(?:\((?P<agency>[^()]{1,40})\))?
        \ *(?P<dash>--|—|–|-)\ *",
    )
    .expect("the dateline pattern is valid")
});

/// Chinese wire copy writes its dateline `北京，9月29日（新华社）——`
/// (`corpus/007_beijing_gb18030.txt`): place, month 月 day 日, agency in
/// full-width parentheses, a double dash.
static CJK_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<place>\p{Han}{1,12})\s*[，,]\s*(?P<date>(?P<month>\d{1,2})月(?P<day>\d{1,2})日)\s*(?:[（(](?P<agency>[^）)]{1,20})[）)])?\s*(?:——|--|—)",
    )
    .expect("the Chinese dateline pattern is valid")
});

/// Reads the dateline at the start of a paragraph, if it has one.
pub fn parse_dateline(paragraph: &str) -> Option<Dateline> {
    if let Some(caps) = CJK_DATELINE.captures(paragraph) {
        let number = |name| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let month_day = number("month")
            .zip(number("day"))
            .filter(|&(m, d)| (1..=12).contains(&m) && (1..=31).contains(&d));
        return Some(Dateline {
            place: caps.name("place")?.as_str().to_string(),
            date_text: caps.name("date").map(|m| m.as_str().to_string()),
            month_day,
            agency: caps.name("agency").map(|m| m.as_str().trim().to_string()),
        });
    }
    let caps = DATELINE.captures(paragraph)?;
    let place = caps.name("place")?.as_str().trim();
    let date = caps.name("date");
    let agency = caps.name("agency").map(|m| m.as_str().trim().to_string());
    // A lone hyphen also follows ordinary capitalised words ("UN - the body
    // …"), so it makes a dateline only with a date or an agency before it.
    let single_hyphen = caps.name("dash").is_some_and(|m| m.as_str() == "-");
    if place.len() < 2 || (single_hyphen && date.is_none() && agency.is_none()) {
        return None;
    }
    let month = caps.name("month").and_then(|m| month_number(m.as_str()));
    if date.is_some() && month.is_none() {
        return None;
    }
    let month_day = month.zip(caps.name("day").and_then(|d| d.as_str().parse().ok()));
    Some(Dateline {
        place: place.to_string(),
        date_text: date.map(|m| m.as_str().to_string()),
        month_day,
        agency,
    })
}

/// The month named by an English month name or wire-copy abbreviation.
pub fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["jan", "january"],
        &["feb", "febr", "february"],
        &["mar", "march"],
        &["apr", "april"],
        &["may"],
        &["jun", "june"],
        &["jul", "july"],
        &["aug", "august"],
        &["sep", "sept", "september"],
        &["oct", "october"],
        &["nov", "november"],
        &["dec", "december"],
    ];
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|names| names.contains(&name.as_str()))
        .map(|i| i as u32 + 1)
}

/// The year a file's path states: a folder `2017`, or a name holding
/// `2017-02-15`, `2017_02_15` or `20170215`, not run together with other
/// digits. The last one in the path wins, since file names are more specific
/// than folders.
pub fn year_from_path(path: &str) -> Option<i32> {
    let bytes = path.as_bytes();
    let digits = |from: usize, len: usize| {
        bytes
            .get(from..from + len)
            .filter(|run| run.iter().all(u8::is_ascii_digit))
            .and_then(|run| std::str::from_utf8(run).ok())
            .and_then(|run| run.parse::<u32>().ok())
    };
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    (0..bytes.len())
        .filter(|&i| i == 0 || !digit_at(i - 1))
        .filter_map(|i| {
            let year = digits(i, 4).filter(|y| (1900..2100).contains(y))?;
            let standalone = !digit_at(i + 4);
            let compact_date = digits(i + 4, 4)
                .is_some_and(|md| Date::new(year as i32, md / 100, md % 100).is_some())
                && !digit_at(i + 8);
            (standalone || compact_date).then_some(year as i32)
        })
        .next_back()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    macro_rules! title_tests {
        ($($name:ident: $line:expr => $category:expr, $title:expr;)*) => {$(
            #[test]
            fn $name() {
                let (category, title) = split_title($line);
                assert_eq!(category.as_deref(), $category);
                assert_eq!(title, $title);
            }
        )*};
    }

    title_tests! {
        cjk_category: "国际英语资讯:France not to accept any foreign meddling in presidential election: FM"
            => Some("国际英语资讯"), "France not to accept any foreign meddling in presidential election: FM";
        full_width_colon: "体育：China wins" => Some("体育"), "China wins";
        english_colon_not_split: "Election: FM says no" => None, "Election: FM says no";
        no_colon: "Ad sales boost Time Warner profit" => None, "Ad sales boost Time Warner profit";
        cjk_title_with_space_before_colon: "中国 新闻: x" => None, "中国 新闻: x";
        empty: "" => None, "";
    }

    macro_rules! dateline_tests {
        ($($name:ident: $text:expr => $expected:expr;)*) => {$(
            #[test]
            fn $name() {
                let expected: Option<(&str, Option<&str>, Option<(u32, u32)>, Option<&str>)> = $expected;
                let got = parse_dateline($text);
                let got = got.as_ref().map(|d| (
                    d.place.as_str(), d.date_text.as_deref(), d.month_day, d.agency.as_deref(),
                ));
                assert_eq!(got, expected);
            }
        )*};
    }

    dateline_tests! {
        xinhua: "PARIS, Feb. 15 (Xinhua) -- French Foreign Minister"
            => Some(("PARIS", Some("Feb. 15"), Some((2, 15)), Some("Xinhua")));
        multi_word_place: "BUENOS AIRES, Sept. 3 (Xinhua) -- Argentina"
            => Some(("BUENOS AIRES", Some("Sept. 3"), Some((9, 3)), Some("Xinhua")));
        full_month: "UNITED NATIONS, March 2 (Xinhua) -- The"
            => Some(("UNITED NATIONS", Some("March 2"), Some((3, 2)), Some("Xinhua")));
        reuters_hyphen: "NEW YORK, June 12 - Stocks rose"
            => Some(("NEW YORK", Some("June 12"), Some((6, 12)), None));
        state_after_city: "PORTLAND, Maine, Jan. 5 (AP) -- x" => None;
        state_abbreviation: "PORTLAND, ME., Jan. 5 (AP) -- x"
            => Some(("PORTLAND, ME.", Some("Jan. 5"), Some((1, 5)), Some("AP")));
        agency_only: "LONDON (Reuters) - Shares fell"
            => Some(("LONDON", None, None, Some("Reuters")));
        em_dash: "BEIJING, Feb. 15 — Text" => Some(("BEIJING", Some("Feb. 15"), Some((2, 15)), None));
        place_only_double_dash: "MOSCOW -- Text" => Some(("MOSCOW", None, None, None));
        no_dateline: "Quarterly profits at US media giant TimeWarner jumped" => None;
        capitalised_word_then_hyphen: "UN - the body" => None;
        lower_case_place: "Paris, Feb. 15 (Xinhua) -- x" => None;
        not_a_month: "PARIS, Foo. 15 (Xinhua) -- x" => None;
        chinese: "北京，9月29日（新华社）——中国女子排球队29日夺冠。"
            => Some(("北京", Some("9月29日"), Some((9, 29)), Some("新华社")));
        chinese_no_agency: "上海，3月2日——x" => Some(("上海", Some("3月2日"), Some((3, 2)), None));
        chinese_not_a_dateline: "北京是中国的首都。" => None;
        accented_place: "BOGOTÁ, Feb. 1 (Xinhua) -- x"
            => Some(("BOGOTÁ", Some("Feb. 1"), Some((2, 1)), Some("Xinhua")));
    }

    #[test]
    fn month_spellings() {
        for (name, n) in [
            ("Jan.", 1),
            ("Sept.", 9),
            ("Sep", 9),
            ("March", 3),
            ("June", 6),
            ("Dec.", 12),
        ] {
            assert_eq!(month_number(name), Some(n), "{name}");
        }
        assert_eq!(month_number("Foo"), None);
    }

    #[test]
    fn years_from_paths() {
        assert_eq!(year_from_path("2017/02/paris.txt"), Some(2017));
        assert_eq!(year_from_path("news/2017-02-15-paris.txt"), Some(2017));
        assert_eq!(year_from_path("x/20170215.txt"), Some(2017));
        assert_eq!(year_from_path("2016/20170215.txt"), Some(2017));
        assert_eq!(year_from_path("000_e9f58710e6d47200.txt"), None);
        assert_eq!(year_from_path("sport/199.txt"), None);
        assert_eq!(year_from_path("12017/x.txt"), None);
        assert_eq!(
            year_from_path("2017/02/20170216_beijing_panda.txt"),
            Some(2017)
        );
        assert_eq!(year_from_path("1999/20171301.txt"), Some(1999));
    }

    #[test]
    fn dates() {
        assert_eq!(Date::new(2017, 2, 29), None);
        assert_eq!(
            Date::new(2016, 2, 29).map(|d| d.to_string()),
            Some("2016-02-29".into())
        );
        assert_eq!(Date::parse("2017-02-15"), Date::new(2017, 2, 15));
        assert_eq!(Date::parse("2017-13-01"), None);
        assert_eq!(Date::new(1970, 1, 1).map(Date::days_since_epoch), Some(0));
        assert_eq!(
            Date::new(2017, 2, 15).map(Date::days_since_epoch),
            Some(17212)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn days_round_trip(days in -100_000i64..100_000) {
            prop_assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }

        #[test]
        fn dateline_never_panics(text in "\\PC{0,80}") {
            let _ = parse_dateline(&text);
            let _ = split_title(&text);
        }
    }
}
