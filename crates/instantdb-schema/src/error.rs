//! The crate's one error type.

/// Everything that can go wrong in this crate.
///
/// Messages that upstream shows to users (schema validation, rename commands, missing attributes)
/// are reproduced verbatim, typos included, so tools built on this crate print what the official
/// CLI prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// JSON that does not have the expected shape.
    ///
    /// `path` names the offending value in dotted form, e.g.
    /// `entities.todos.attrs.title.valueType` (`.` for the document itself).
    #[error("invalid {document} at `{path}`: {message}")]
    Json {
        /// Which document was being read, e.g. `wire schema JSON`.
        document: &'static str,
        /// Dotted path to the offending value.
        path: String,
        /// What was wrong with it, from the JSON parser or the model.
        message: String,
    },
    /// The schema breaks one of the rules of upstream's `validateSchema` (upstream throws a
    /// `SchemaValidationError` with this message).
    #[error("{0}")]
    SchemaValidation(String),
    /// A rename command (`"etype.old:etype.new"`) could not be parsed; the message is upstream's.
    #[error("{0}")]
    RenameCommand(String),
    /// A migration step names an attribute that the app does not have (upstream's
    /// `convertTxSteps` message).
    #[error("Attribute {namespace}.{attr_name} not found")]
    AttributeNotFound {
        /// The entity (namespace) looked up.
        namespace: String,
        /// The attribute label looked up.
        attr_name: String,
    },
    /// A [`RenameResolver`](crate::diff::RenameResolver) chose to rename from a name that was not
    /// among the candidates it was offered.
    #[error(
        "rename resolver chose `{from}` as the old name of `{created}`, but it was not offered"
    )]
    InvalidRenameChoice {
        /// The created item being resolved.
        created: String,
        /// The answer the resolver gave.
        from: String,
    },
}

impl Error {
    /// Builds a [`Error::Json`] from a `serde_path_to_error` failure.
    pub(crate) fn from_path_error(
        document: &'static str,
        err: serde_path_to_error::Error<serde_json::Error>,
    ) -> Error {
        // `?` is the crate's way of saying "unknown position" (a syntax error before any value
        // was entered); report it as the document root.
        let path = match err.path().to_string() {
            unknown if unknown == "?" => ".".to_owned(),
            path => path,
        };
        Error::Json {
            document,
            path,
            message: err.into_inner().to_string(),
        }
    }
}

/// Parses `json` as `T`, reporting the path of the first offending value.
pub(crate) fn from_json_with_path<T: serde::de::DeserializeOwned>(
    document: &'static str,
    json: &str,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|err| Error::from_path_error(document, err))?;
    de.end().map_err(|err| Error::Json {
        document,
        path: ".".to_owned(),
        message: err.to_string(),
    })?;
    Ok(value)
}

/// Converts `value` to `T`, reporting the path of the first offending value.
pub(crate) fn from_value_with_path<T: serde::de::DeserializeOwned>(
    document: &'static str,
    value: &serde_json::Value,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|err| Error::from_path_error(document, err))
}
