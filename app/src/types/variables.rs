//! Variables an operator declares for a template, and how a form's text becomes their values.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Variables the chat pipeline provides to every persona template, with what each holds,
/// in the order the editor lists them. `summary` and `sentiment` change from turn to turn:
/// a template should use them late in the prompt (after the fixed persona text) so the
/// embedded model can keep reusing its cached prompt.
pub const PIPELINE_VARIABLES: [(&str, &str); 7] = [
    ("user_id", "the end user's id"),
    ("current_message", "what the user just sent"),
    ("history", "recent messages within the history budget, oldest first: each has role, sender, content, at"),
    ("memory", "what the persona remembers about the user (key → value)"),
    ("summary", "a running summary of the chat's older turns (those no longer in history); empty until there is one"),
    (
        "sentiment",
        "the user's recent average sentiment: valence, arousal, dominance, trust, engagement, confidence; none until scored",
    ),
    ("now", "the current time, UTC (2026-12-02 09:30 UTC); now[:10] is the date"),
];

/// Whether the pipeline provides a variable called `name` ([`PIPELINE_VARIABLES`]).
pub fn is_pipeline_variable(name: &str) -> bool {
    PIPELINE_VARIABLES.iter().any(|(n, _)| *n == name)
}

/// The type of an operator-declared variable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    #[default]
    String,
    Number,
    Boolean,
    Json,
}

impl VariableType {
    /// `string`, `number`, `boolean` or `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::String => "string",
            VariableType::Number => "number",
            VariableType::Boolean => "boolean",
            VariableType::Json => "json",
        }
    }

    /// The type named `s` ([`VariableType::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => VariableType::String,
            "number" => VariableType::Number,
            "boolean" => VariableType::Boolean,
            "json" => VariableType::Json,
            _ => return None,
        })
    }

    /// Whether `v` is a value of this type.
    pub fn accepts(self, v: &serde_json::Value) -> bool {
        match self {
            VariableType::String => v.is_string(),
            VariableType::Number => v.is_number(),
            VariableType::Boolean => v.is_boolean(),
            VariableType::Json => true,
        }
    }
}

/// A variable the operator declares for a template, beyond what the pipeline provides.
/// Chat renders it with `default`; the preview and the playground can override it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeclaredVariable {
    /// An identifier: a letter or `_`, then letters, digits or `_` (at most 40).
    pub name: String,
    #[serde(rename = "type")]
    pub var_type: VariableType,
    pub default: serde_json::Value,
    #[serde(default)]
    pub description: String,
}

/// One row of a form's declared-variables table: the default as typed
/// (`variables[list][0][default]=3`), read as a value of `type` by [`parse_value`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VariableInput {
    pub name: String,
    #[serde(rename = "type", default)]
    pub var_type: VariableType,
    #[serde(default)]
    pub default: String,
    #[serde(default)]
    pub description: String,
}

impl VariableInput {
    /// The row for a declared variable, as the editor shows it.
    pub fn of(d: &DeclaredVariable) -> Self {
        Self {
            name: d.name.clone(),
            var_type: d.var_type,
            default: value_text(&d.default),
            description: d.description.clone(),
        }
    }

    /// The declared variable: name and description trimmed, the default read as its type.
    pub fn declared(&self) -> DeclaredVariable {
        DeclaredVariable {
            name: self.name.trim().to_string(),
            var_type: self.var_type,
            default: parse_value(self.var_type, &self.default),
            description: self.description.trim().to_string(),
        }
    }
}

/// A form's whole declared-variables table. `count` is the number of rows and always
/// posted, so that an empty table (declare none) differs from a form without the table
/// (keep the latest version's variables).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VariablesInput {
    pub count: usize,
    #[serde(default)]
    pub list: Vec<VariableInput>,
}

impl VariablesInput {
    /// The table for `vars`.
    pub fn of(vars: &[DeclaredVariable]) -> Self {
        Self { count: vars.len(), list: vars.iter().map(VariableInput::of).collect() }
    }

    /// The declared variables. Errors: `Invalid` (field `variables`) when rows went missing.
    pub fn declared(&self) -> Result<Vec<DeclaredVariable>, crate::error::AppError> {
        if self.list.len() != self.count {
            return Err(crate::error::AppError::invalid(
                "variables",
                format!("the variables table has {} rows, {} arrived", self.count, self.list.len()),
            ));
        }
        Ok(self.list.iter().map(VariableInput::declared).collect())
    }
}

/// A JSON value as a form shows it: strings without quotes, nothing for null.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Reads typed text as a value of `t`. Text that is not one is kept as a string, so that
/// validation names the variable and the problem.
pub fn parse_value(t: VariableType, text: &str) -> Value {
    let trimmed = text.trim();
    match t {
        VariableType::String => Value::String(text.to_string()),
        VariableType::Number => {
            if let Ok(i) = trimmed.parse::<i64>() {
                Value::from(i)
            } else {
                trimmed
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(text.to_string()))
            }
        }
        VariableType::Boolean => match trimmed {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        VariableType::Json if trimmed.is_empty() => Value::Null,
        VariableType::Json => serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// Why `text` is not a value of `t`, for a hint next to the input.
pub fn value_problem(t: VariableType, text: &str) -> Option<&'static str> {
    let trimmed = text.trim();
    match t {
        VariableType::String => None,
        VariableType::Number => trimmed.parse::<f64>().is_err().then_some("not a number"),
        VariableType::Boolean => (!matches!(trimmed, "true" | "false")).then_some("true or false"),
        VariableType::Json => {
            (!trimmed.is_empty() && serde_json::from_str::<Value>(trimmed).is_err()).then_some("not valid JSON")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_pipeline_provides_summary_and_sentiment() {
        assert!(is_pipeline_variable("summary"));
        assert!(is_pipeline_variable("sentiment"));
        assert!(is_pipeline_variable("history"));
        assert!(!is_pipeline_variable("tone"));
    }

    #[test]
    fn typed_defaults_become_values_of_their_type() {
        assert_eq!(parse_value(VariableType::String, " cheerful "), json!(" cheerful "));
        assert_eq!(parse_value(VariableType::Number, "3"), json!(3));
        assert_eq!(parse_value(VariableType::Number, "0.5"), json!(0.5));
        assert_eq!(parse_value(VariableType::Boolean, "true"), json!(true));
        assert_eq!(parse_value(VariableType::Json, "{\"a\": [1]}"), json!({"a": [1]}));
        assert_eq!(parse_value(VariableType::Json, ""), Value::Null);
        // Not a value of the type: kept as text, for the server to refuse with the name.
        assert_eq!(parse_value(VariableType::Number, "many"), json!("many"));
        assert_eq!(value_problem(VariableType::Number, "many"), Some("not a number"));
        assert_eq!(value_problem(VariableType::Json, "{"), Some("not valid JSON"));
        assert_eq!(value_problem(VariableType::Boolean, "false"), None);
    }

    #[test]
    fn values_round_trip_through_the_editor_text() {
        for v in [json!("hi"), json!(2), json!(1.5), json!(false), json!({"k": "v"})] {
            let t = match &v {
                Value::String(_) => VariableType::String,
                Value::Number(_) => VariableType::Number,
                Value::Bool(_) => VariableType::Boolean,
                _ => VariableType::Json,
            };
            assert_eq!(parse_value(t, &value_text(&v)), v);
        }
    }

    /// A form with the table, nested the way a server function's arguments are.
    #[derive(Serialize, Deserialize)]
    struct Form {
        variables: Option<VariablesInput>,
    }

    fn posted(query: &str) -> Option<VariablesInput> {
        serde_qs::Config::new(5, false).deserialize_str::<Form>(query).expect("the form parses").variables
    }

    #[test]
    fn the_table_posts_as_nested_fields_and_an_empty_one_is_not_a_missing_one() {
        let q = "variables[count]=1&variables%5Blist%5D%5B0%5D%5Bname%5D=%20mood%20\
                 &variables[list][0][type]=number&variables[list][0][default]=3&variables[list][0][description]=How";
        let vars = posted(q).unwrap().declared().unwrap();
        assert_eq!(vars.len(), 1);
        assert_eq!(
            (vars[0].name.as_str(), vars[0].var_type, &vars[0].default),
            ("mood", VariableType::Number, &json!(3))
        );
        assert_eq!(posted("variables[count]=0").unwrap().declared().unwrap(), vec![], "an empty table declares none");
        assert_eq!(posted(""), None, "no table: keep the latest version's");
        assert!(posted("variables[count]=2&variables[list][0][name]=a").unwrap().declared().is_err());
        let table = VariablesInput::of(&vars);
        let query = serde_qs::to_string(&Form { variables: Some(table.clone()) }).unwrap();
        assert_eq!(posted(&query), Some(table), "{query}");
    }
}
