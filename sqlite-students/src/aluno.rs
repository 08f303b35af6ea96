//! The data: one student, `Aluno`, as a row of the table `Alunos` holds it.
//!
//! The slide's schema is `Alunos(Nome TEXT, Matricula REAL, Idade INTEGER,
//! Ingresso INTEGER, Situacao TEXT)`. In Rust each column gets a type that
//! says what the column means, and every value that comes from a user or a
//! peer is checked here, once, before it reaches SQL:
//!
//! | column | Rust | accepted |
//! |---|---|---|
//! | `Nome` | `String` | 1 to 100 characters, at least one visible, no control characters; trimmed, Unicode NFC |
//! | `Matricula` | `i64` | 1 to 2^53 (a `REAL` holds every whole number up to 2^53 exactly) |
//! | `Idade` | `u8` | 0 to 150 |
//! | `Ingresso` | `u16` | 1900 to 2100 |
//! | `Situacao` | [`Situacao`] | `Cursando`, `Formado`, `Trancamento`, `Desistiu` (any case) |
//!
//! On the wire (JSON) the fields keep the column names, in lower case and
//! without accents: `{"nome": "Maísa", "matricula": 11280821, "idade": 26,
//! "ingresso": 2023, "situacao": "Cursando"}`.
//!
//! Another program may write the file (the slides' Python does), and SQLite
//! checks no value against our rules. A `Situacao` that is none of the four
//! (`'Jubilado'`) is read as it is stored, [`Situacao::Other`], and flagged
//! (`"warning"` in JSON, `(?)` in tables), so that it can be listed, found,
//! renamed, repaired and deleted; no write of this crate stores one.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// The largest matrícula: `Matricula` is a `REAL` column (an IEEE double),
/// which holds every whole number up to 2^53 exactly and skips some above.
pub const MAX_MATRICULA: i64 = 1 << 53;

/// The longest name, in characters.
pub const MAX_NOME_CHARS: usize = 100;

/// The ages accepted on input.
pub const IDADE: RangeInclusive<i64> = 0..=150;

/// The years of entry accepted on input.
pub const INGRESSO: RangeInclusive<i64> = 1900..=2100;

/// Where a student stands in the course, as the slide's table writes it.
///
/// Input accepts the four values only (in any case); [`Situacao::Other`]
/// comes only from reading a row another program wrote.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum Situacao {
    /// Enrolled and studying.
    Cursando,
    /// Graduated.
    Formado,
    /// Enrollment locked (the exercise's "who locked the course?").
    Trancamento,
    /// Gave up.
    Desistiu,
    /// None of the four: the text as another program stored it. Listed and
    /// flagged, never written by this crate.
    Other(String),
}

impl Situacao {
    /// Every value, in the slide's order.
    pub const ALL: [Situacao; 4] = [
        Situacao::Cursando,
        Situacao::Formado,
        Situacao::Trancamento,
        Situacao::Desistiu,
    ];

    /// The text stored in the `Situacao` column.
    pub fn as_str(&self) -> &str {
        match self {
            Situacao::Cursando => "Cursando",
            Situacao::Formado => "Formado",
            Situacao::Trancamento => "Trancamento",
            Situacao::Desistiu => "Desistiu",
            Situacao::Other(stored) => stored,
        }
    }

    /// The value a `Situacao` column holds, as read: one of the four (in
    /// any case, as input accepts them), or [`Situacao::Other`] with the
    /// text exactly as stored.
    ///
    /// ```
    /// use sqlite_students::Situacao;
    /// assert_eq!(Situacao::from_stored("cursando"), Situacao::Cursando);
    /// assert_eq!(Situacao::from_stored("Jubilado"), Situacao::Other("Jubilado".into()));
    /// ```
    pub fn from_stored(text: &str) -> Self {
        text.parse()
            .unwrap_or_else(|_| Situacao::Other(text.to_owned()))
    }

    /// True for the four values of the slide's table.
    pub fn is_known(&self) -> bool {
        !matches!(self, Situacao::Other(_))
    }

    /// Refuse [`Situacao::Other`] before a write.
    fn check(&self) -> Result<(), InvalidField> {
        match self {
            Situacao::Other(stored) => Err(InvalidField::Situacao(stored.clone())),
            _ => Ok(()),
        }
    }
}

/// As the text stored in the column, whichever variant.
impl Serialize for Situacao {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Situacao {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Situacao {
    type Err = InvalidField;

    /// Case-insensitive: `trancamento` is `Trancamento`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Situacao::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| InvalidField::Situacao(s.to_owned()))
    }
}

impl TryFrom<String> for Situacao {
    type Error = InvalidField;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A value that does not fit its column. The message names the field and
/// what it accepts, so it can go to the user as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidField {
    #[error("nome must not be empty")]
    EmptyNome,
    #[error("nome must be at most {MAX_NOME_CHARS} characters, not {0}")]
    LongNome(usize),
    #[error("nome must not hold control characters such as line breaks")]
    ControlInNome,
    /// A name that shows as blank: only characters that take no space or
    /// draw nothing (U+200B ZERO WIDTH SPACE, U+FEFF, U+3164 ...). The
    /// field names them, as `U+200B, U+FEFF`.
    #[error("nome must hold a visible character, not only invisible ones ({0})")]
    InvisibleNome(String),
    #[error("matricula must be a whole number from 1 to {MAX_MATRICULA}, not {0}")]
    Matricula(i64),
    #[error("idade must be between 0 and 150, not {0}")]
    Idade(i64),
    #[error("ingresso must be a year between 1900 and 2100, not {0}")]
    Ingresso(i64),
    #[error("situacao must be one of Cursando, Formado, Trancamento, Desistiu, not {0:?}")]
    Situacao(String),
    #[error("matricula is the student's identity and cannot be changed")]
    MatriculaChange,
    #[error("nothing to change: give at least one of nome, idade, ingresso, situacao")]
    EmptyPatch,
}

/// One student: a row of `Alunos`.
///
/// The fields are public for easy reading; [`Aluno::new`] is the checked way
/// to build one, and the repository checks again ([`Aluno::validate`]) before
/// it writes, so an invalid value never reaches the database.
///
/// In JSON a row read with a [`Situacao::Other`] carries one more field,
/// `"warning"`, the sentence of [`Aluno::warning`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "AlunoInput")]
pub struct Aluno {
    pub nome: String,
    pub matricula: i64,
    pub idade: u8,
    pub ingresso: u16,
    pub situacao: Situacao,
}

impl Aluno {
    /// A checked student. The name is trimmed and put in Unicode NFC, so
    /// `Maísa` typed as `i` + combining accent is stored like `Maísa` typed
    /// with the precomposed `í`.
    ///
    /// ```
    /// use sqlite_students::{Aluno, Situacao};
    /// let pedro = Aluno::new(" Pedro ", 2213482, 19, 2022, Situacao::Cursando).unwrap();
    /// assert_eq!(pedro.nome, "Pedro");
    /// assert!(Aluno::new("Pedro", 2213482, -1, 2022, Situacao::Cursando).is_err());
    /// ```
    pub fn new(
        nome: &str,
        matricula: i64,
        idade: i64,
        ingresso: i64,
        situacao: Situacao,
    ) -> Result<Self, InvalidField> {
        situacao.check()?;
        Ok(Self {
            nome: normalize_nome(nome)?,
            matricula: check_matricula(matricula)?,
            idade: check_idade(idade)?,
            ingresso: check_ingresso(ingresso)?,
            situacao,
        })
    }

    /// Check every field (what [`Aluno::new`] checks, for a value built by
    /// hand, or read from a row another program wrote).
    pub fn validate(&self) -> Result<(), InvalidField> {
        check_nome(&self.nome)?;
        check_matricula(self.matricula)?;
        check_idade(self.idade.into())?;
        check_ingresso(self.ingresso.into())?;
        self.situacao.check()
    }

    /// What is wrong with a row as read, if anything this crate lets
    /// through on reading: a situação that is none of the four.
    pub fn warning(&self) -> Option<String> {
        match &self.situacao {
            Situacao::Other(stored) => Some(format!(
                "situacao {stored:?} is none of Cursando, Formado, Trancamento, Desistiu"
            )),
            _ => None,
        }
    }
}

/// The five columns, then `"warning"` when [`Aluno::warning`] has one: a
/// program sees the value as stored and that it is not one of the four.
impl Serialize for Aluno {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let warning = self.warning();
        let fields = if warning.is_some() { 6 } else { 5 };
        let mut row = serializer.serialize_struct("Aluno", fields)?;
        row.serialize_field("nome", &self.nome)?;
        row.serialize_field("matricula", &self.matricula)?;
        row.serialize_field("idade", &self.idade)?;
        row.serialize_field("ingresso", &self.ingresso)?;
        row.serialize_field("situacao", &self.situacao)?;
        if let Some(warning) = warning {
            row.serialize_field("warning", &warning)?;
        }
        row.end()
    }
}

/// A student as JSON brings it, before checking: numbers are wide and the
/// situação is text, so that a negative age or an unknown situação gets our
/// message (`idade must be between 0 and 150, not -5`) rather than a
/// deserializer's (`invalid value: integer -5, expected u8`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlunoInput {
    pub nome: String,
    pub matricula: i64,
    pub idade: i64,
    pub ingresso: i64,
    pub situacao: String,
}

impl TryFrom<AlunoInput> for Aluno {
    type Error = InvalidField;
    fn try_from(input: AlunoInput) -> Result<Self, Self::Error> {
        let situacao = input.situacao.parse()?;
        Aluno::new(
            &input.nome,
            input.matricula,
            input.idade,
            input.ingresso,
            situacao,
        )
    }
}

/// A change to some fields of one student (`PATCH /alunos/{matricula}`).
/// `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Patch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idade: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingresso: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub situacao: Option<Situacao>,
}

impl Patch {
    /// A checked patch; at least one field must be given.
    pub fn new(
        nome: Option<&str>,
        idade: Option<i64>,
        ingresso: Option<i64>,
        situacao: Option<Situacao>,
    ) -> Result<Self, InvalidField> {
        if nome.is_none() && idade.is_none() && ingresso.is_none() && situacao.is_none() {
            return Err(InvalidField::EmptyPatch);
        }
        Ok(Self {
            nome: nome.map(normalize_nome).transpose()?,
            idade: idade.map(check_idade).transpose()?,
            ingresso: ingresso.map(check_ingresso).transpose()?,
            situacao,
        })
    }

    /// Check every field given (for a value built by hand).
    pub fn validate(&self) -> Result<(), InvalidField> {
        if *self == Patch::default() {
            return Err(InvalidField::EmptyPatch);
        }
        if let Some(nome) = &self.nome {
            check_nome(nome)?;
        }
        if let Some(idade) = self.idade {
            check_idade(idade.into())?;
        }
        if let Some(ingresso) = self.ingresso {
            check_ingresso(ingresso.into())?;
        }
        if let Some(situacao) = &self.situacao {
            situacao.check()?;
        }
        Ok(())
    }
}

/// A patch as JSON brings it. `matricula` is accepted by the parser only to
/// refuse it with a sentence that says why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchInput {
    pub nome: Option<String>,
    pub idade: Option<i64>,
    pub ingresso: Option<i64>,
    pub situacao: Option<String>,
    pub matricula: Option<serde_json::Value>,
}

impl TryFrom<PatchInput> for Patch {
    type Error = InvalidField;
    fn try_from(input: PatchInput) -> Result<Self, Self::Error> {
        if input.matricula.is_some() {
            return Err(InvalidField::MatriculaChange);
        }
        let situacao = input.situacao.as_deref().map(str::parse).transpose()?;
        Patch::new(input.nome.as_deref(), input.idade, input.ingresso, situacao)
    }
}

/// Which students a list shows. Every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Only students in this situação.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub situacao: Option<Situacao>,
    /// Only students who entered after this year (strictly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingresso_apos: Option<i64>,
    /// Only students with this whole name, ignoring case (`pedro` finds
    /// `Pedro`, `MAÍSA` finds `Maísa`; `Ped` finds nobody).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nome: Option<String>,
}

/// Trim, normalize to NFC, and check a name.
pub fn normalize_nome(nome: &str) -> Result<String, InvalidField> {
    let nome: String = nome.trim().nfc().collect();
    check_nome(&nome)?;
    Ok(nome)
}

/// The form in which names are compared: Unicode lower case, NFC. The
/// repository registers it in SQLite as the SQL function `fold`, because
/// SQLite's own `lower()` and `NOCASE` only know ASCII (`Í` stays `Í`).
///
/// ```
/// use sqlite_students::aluno::fold;
/// assert_eq!(fold("MAÍSA"), fold("maísa"));
/// assert_eq!(fold("Mai\u{301}sa"), fold("Maísa")); // decomposed accent
/// ```
pub fn fold(text: &str) -> String {
    text.trim().to_lowercase().nfc().collect()
}

fn check_nome(nome: &str) -> Result<(), InvalidField> {
    if nome.trim().is_empty() {
        return Err(InvalidField::EmptyNome);
    }
    let chars = nome.chars().count();
    if chars > MAX_NOME_CHARS {
        return Err(InvalidField::LongNome(chars));
    }
    if nome.chars().any(char::is_control) {
        return Err(InvalidField::ControlInNome);
    }
    if nome.chars().all(is_invisible) {
        let mut seen: Vec<char> = Vec::new();
        for c in nome.chars().filter(|c| !c.is_whitespace()) {
            if !seen.contains(&c) {
                seen.push(c);
            }
        }
        let named: Vec<String> = seen
            .iter()
            .map(|c| format!("U+{:04X}", *c as u32))
            .collect();
        return Err(InvalidField::InvisibleNome(named.join(", ")));
    }
    Ok(())
}

/// True for a character that draws nothing: white space, and Unicode's
/// default-ignorable code points (zero-width spaces and joiners, the
/// bidirectional and other format controls, variation selectors, the
/// Hangul fillers, tags), plus U+2800 BRAILLE PATTERN BLANK, which fonts
/// draw as a space. A name made only of these shows as blank.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

fn check_matricula(matricula: i64) -> Result<i64, InvalidField> {
    if (1..=MAX_MATRICULA).contains(&matricula) {
        Ok(matricula)
    } else {
        Err(InvalidField::Matricula(matricula))
    }
}

fn check_idade(idade: i64) -> Result<u8, InvalidField> {
    if IDADE.contains(&idade) {
        u8::try_from(idade).map_err(|_| InvalidField::Idade(idade))
    } else {
        Err(InvalidField::Idade(idade))
    }
}

fn check_ingresso(ingresso: i64) -> Result<u16, InvalidField> {
    if INGRESSO.contains(&ingresso) {
        u16::try_from(ingresso).map_err(|_| InvalidField::Ingresso(ingresso))
    } else {
        Err(InvalidField::Ingresso(ingresso))
    }
}

/// The students of the exercise's table (seed 001, "Exercício de
/// implementação"), in the slide's order.
pub fn exercise_students() -> [Aluno; 4] {
    use Situacao::*;
    [
        row("João", 10114385, 28, 2022, Formado),
        row("Pedro", 13100001, 25, 2020, Trancamento),
        row("Maísa", 11280821, 26, 2023, Cursando),
        row("Patrick", 14204123, 24, 2022, Desistiu),
    ]
}

/// The row the slide's `Escrever.py` inserts.
pub fn escrever_py_student() -> Aluno {
    row("Pedro", 2213482, 19, 2022, Situacao::Cursando)
}

/// A row from constants known to be valid.
fn row(nome: &str, matricula: i64, idade: u8, ingresso: u16, situacao: Situacao) -> Aluno {
    Aluno {
        nome: nome.to_owned(),
        matricula,
        idade,
        ingresso,
        situacao,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slides_rows_are_valid() {
        for aluno in exercise_students().iter().chain([&escrever_py_student()]) {
            assert_eq!(aluno.validate(), Ok(()), "{aluno:?}");
        }
    }

    #[test]
    fn a_negative_age_is_refused_with_a_sentence() {
        let err = Aluno::new("Ana", 1, -5, 2020, Situacao::Cursando).unwrap_err();
        assert_eq!(err.to_string(), "idade must be between 0 and 150, not -5");
    }

    #[test]
    fn matricula_must_fit_a_real_exactly() {
        assert!(Aluno::new("Ana", MAX_MATRICULA, 20, 2020, Situacao::Cursando).is_ok());
        assert_eq!(
            Aluno::new("Ana", MAX_MATRICULA + 1, 20, 2020, Situacao::Cursando),
            Err(InvalidField::Matricula(MAX_MATRICULA + 1))
        );
        assert_eq!(
            Aluno::new("Ana", 0, 20, 2020, Situacao::Cursando),
            Err(InvalidField::Matricula(0))
        );
    }

    #[test]
    fn names_are_trimmed_normalized_and_checked() {
        let decomposed = "Mai\u{301}sa";
        let aluno = Aluno::new(decomposed, 1, 20, 2020, Situacao::Cursando).unwrap();
        assert_eq!(aluno.nome, "Maísa");
        assert_eq!(aluno.nome.chars().count(), 5);
        assert_eq!(normalize_nome("   "), Err(InvalidField::EmptyNome));
        assert_eq!(normalize_nome("a\nb"), Err(InvalidField::ControlInNome));
        assert_eq!(
            normalize_nome(&"é".repeat(101)),
            Err(InvalidField::LongNome(101))
        );
        assert!(normalize_nome(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn a_name_that_shows_as_blank_is_refused_naming_its_characters() {
        assert_eq!(
            normalize_nome("\u{200b}"),
            Err(InvalidField::InvisibleNome("U+200B".into()))
        );
        assert_eq!(
            normalize_nome("\u{200b} \u{00a0}\u{200b}\u{feff}"),
            Err(InvalidField::InvisibleNome("U+200B, U+FEFF".into()))
        );
        for blank in [
            "\u{3164}",
            "\u{2800}",
            "\u{2060}\u{202e}",
            "\u{e0041}",
            "\u{fe0f}",
        ] {
            assert!(
                matches!(normalize_nome(blank), Err(InvalidField::InvisibleNome(_))),
                "{blank:?}"
            );
        }
        assert_eq!(
            InvalidField::InvisibleNome("U+200B".into()).to_string(),
            "nome must hold a visible character, not only invisible ones (U+200B)"
        );
        // Invisible characters beside visible ones are the name's own
        // business (a zero-width joiner is part of some scripts and emoji).
        assert_eq!(normalize_nome("A\u{200d}na"), Ok("A\u{200d}na".into()));
        let invisible_patch = Patch {
            nome: Some("\u{200b}".into()),
            ..Patch::default()
        };
        assert!(invisible_patch.validate().is_err());
    }

    #[test]
    fn an_unknown_situacao_is_read_as_stored_flagged_and_never_written() {
        let jubilado = Situacao::from_stored("Jubilado");
        assert_eq!(jubilado, Situacao::Other("Jubilado".into()));
        assert_eq!(Situacao::from_stored(" FORMADO "), Situacao::Formado);
        let mut ze = Aluno::new("Zé", 77, 20, 2021, Situacao::Cursando).unwrap();
        assert_eq!(ze.warning(), None);
        ze.situacao = jubilado.clone();
        assert_eq!(
            serde_json::to_string(&ze).unwrap(),
            r#"{"nome":"Zé","matricula":77,"idade":20,"ingresso":2021,"situacao":"Jubilado","warning":"situacao \"Jubilado\" is none of Cursando, Formado, Trancamento, Desistiu"}"#
        );
        assert_eq!(
            ze.validate(),
            Err(InvalidField::Situacao("Jubilado".into()))
        );
        let patch = Patch {
            situacao: Some(jubilado),
            ..Patch::default()
        };
        assert_eq!(
            patch.validate(),
            Err(InvalidField::Situacao("Jubilado".into()))
        );
        assert!(serde_json::from_str::<Situacao>(r#""Jubilado""#).is_err());
    }

    #[test]
    fn situacao_parses_in_any_case_and_prints_as_the_slide() {
        assert_eq!("trancamento".parse(), Ok(Situacao::Trancamento));
        assert_eq!(" FORMADO ".parse(), Ok(Situacao::Formado));
        assert_eq!(Situacao::Desistiu.to_string(), "Desistiu");
        assert_eq!(
            "Trancado".parse::<Situacao>(),
            Err(InvalidField::Situacao("Trancado".into()))
        );
    }

    #[test]
    fn json_uses_the_column_names() {
        let json = serde_json::to_string(&exercise_students()[2]).unwrap();
        assert_eq!(
            json,
            r#"{"nome":"Maísa","matricula":11280821,"idade":26,"ingresso":2023,"situacao":"Cursando"}"#
        );
        let back: Aluno = serde_json::from_str(&json).unwrap();
        assert_eq!(back, exercise_students()[2]);
    }

    #[test]
    fn json_input_is_checked_with_our_messages() {
        let bad =
            r#"{"nome":"Ana","matricula":5,"idade":-5,"ingresso":2020,"situacao":"Cursando"}"#;
        let input: AlunoInput = serde_json::from_str(bad).unwrap();
        assert_eq!(Aluno::try_from(input), Err(InvalidField::Idade(-5)));
        let extra =
            r#"{"nome":"Ana","matricula":5,"idade":5,"ingresso":2020,"situacao":"Cursando","x":1}"#;
        assert!(serde_json::from_str::<AlunoInput>(extra).is_err());
    }

    #[test]
    fn a_patch_cannot_change_the_matricula_or_be_empty() {
        let input: PatchInput = serde_json::from_str(r#"{"matricula": 7}"#).unwrap();
        assert_eq!(Patch::try_from(input), Err(InvalidField::MatriculaChange));
        let input: PatchInput = serde_json::from_str("{}").unwrap();
        assert_eq!(Patch::try_from(input), Err(InvalidField::EmptyPatch));
        let input: PatchInput = serde_json::from_str(r#"{"idade": 30}"#).unwrap();
        assert_eq!(
            Patch::try_from(input),
            Ok(Patch {
                idade: Some(30),
                ..Patch::default()
            })
        );
    }

    #[test]
    fn fold_ignores_case_beyond_ascii() {
        assert_eq!(fold("JOÃO"), "joão");
        assert_eq!(fold("João"), fold("joão"));
        assert_ne!(fold("Joao"), fold("João"));
    }
}
