//! What a browser sent: the form fields in order, the file, the bucket.

pub use crate::rules::MAX_FORM_BYTES;

/// The multipart boundary length assumed when the caller did not measure the
/// form: Chromium's `----WebKitFormBoundary` plus 16 characters.
const ASSUMED_BOUNDARY: u64 = 38;

/// `Content-Disposition: form-data; name="` and the closing `"`.
const DISPOSITION: u64 = 39;

/// The uploaded file: its name as the browser sent it and its size.
///
/// ```
/// use policy_runtime::verify::{Submission, UploadedFile};
/// let form = Submission::new("b-1").field("key", "a").file("photos/cat.png", 3);
/// let Some(UploadedFile { name, size }) = form.uploaded_file() else { panic!("no file") };
/// assert_eq!((name.as_str(), *size), ("photos/cat.png", 3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    /// The file name from the part's `Content-Disposition`, possibly a path.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

impl UploadedFile {
    /// The part of the name S3 puts in place of `${filename}`: everything
    /// after the last `/` or `\`.
    ///
    /// ```
    /// use policy_runtime::verify::UploadedFile;
    /// let file = UploadedFile { name: r"C:\photos\cat.png".into(), size: 3 };
    /// assert_eq!(file.base_name(), "cat.png");
    /// ```
    pub fn base_name(&self) -> &str {
        self.name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(self.name.as_str())
    }
}

/// A submitted POST form, as a server received it.
///
/// Fields are added in the order the browser sent them; [`Submission::file`]
/// marks where the file came. Fields after the file are kept but, as S3
/// does, ignored. Names keep the spelling they were sent with; S3 compares
/// them case-insensitively.
///
/// ```
/// use policy_runtime::verify::Submission;
///
/// let form = Submission::new("examplebucket")
///     .field("key", "uploads/${filename}")
///     .field("Content-Type", "text/plain")
///     .file("notes.txt", 11)
///     .field("ignored", "sent after the file");
/// assert_eq!(form.fields().count(), 2);
/// assert_eq!(form.ignored_fields().count(), 1);
/// assert_eq!(form.uploaded_file().unwrap().size, 11);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Submission {
    bucket: String,
    fields: Vec<(String, String)>,
    file: Option<UploadedFile>,
    after_file: Vec<(String, String)>,
    measured_bytes: Option<u64>,
    /// The file part came without a `filename` parameter.
    unnamed_file: bool,
    /// The form came over plain HTTP, not TLS.
    plain_http: bool,
}

impl Submission {
    /// An empty form posted to `bucket` (from the URL: the host of a
    /// virtual-hosted request or the first path segment of a path-style one).
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// assert_eq!(Submission::new("b-1").bucket(), "b-1");
    /// ```
    pub fn new(bucket: impl Into<String>) -> Submission {
        Submission {
            bucket: bucket.into(),
            ..Submission::default()
        }
    }

    /// Adds the next field. After [`Submission::file`], the field is one S3
    /// ignores.
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").field("key", "a.txt");
    /// assert_eq!(form.get("KEY"), Some("a.txt"));
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Submission {
        self.push_field(name, value);
        self
    }

    /// Adds the next field in place; see [`Submission::field`].
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// let mut form = Submission::new("b-1");
    /// for (n, v) in [("key", "a.txt"), ("acl", "private")] {
    ///     form.push_field(n, v);
    /// }
    /// assert_eq!(form.fields().count(), 2);
    /// ```
    pub fn push_field(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let part = (name.into(), value.into());
        if self.file.is_some() {
            self.after_file.push(part);
        } else {
            self.fields.push(part);
        }
    }

    /// The file part: its name and size. Only the first file counts; S3
    /// ignores everything after it, a second file included.
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").file("a.txt", 3).file("b.txt", 4);
    /// assert_eq!(form.uploaded_file().unwrap().name, "a.txt");
    /// ```
    pub fn file(mut self, name: impl Into<String>, size: u64) -> Submission {
        if self.file.is_none() {
            self.file = Some(UploadedFile {
                name: name.into(),
                size,
            });
        } else {
            self.after_file.push(("file".into(), name.into()));
        }
        self
    }

    /// The file part, sent without a `filename` parameter (a part written
    /// by a script, not a browser's file input). S3 then leaves
    /// `${filename}` in field values as it is (LocalStack's AWS-validated
    /// recording); with `filename=""` it puts the empty name in its place.
    ///
    /// ```
    /// use policy_runtime::verify::{check_policy, Submission};
    /// use policy_runtime::PolicyDocument;
    ///
    /// let policy = PolicyDocument::from_json(r#"{"expiration": "2030-01-01T00:00:00Z",
    ///     "conditions": [{"bucket": "b-1"}, ["starts-with", "$key", "u/"]]}"#)?;
    /// let now = time::macros::datetime!(2029-01-01 0:00 UTC);
    /// let unnamed = Submission::new("b-1").field("key", "u/${filename}").file_without_filename(3);
    /// assert_eq!(check_policy(&policy, &unnamed, now).unwrap().key, "u/${filename}");
    /// let empty = Submission::new("b-1").field("key", "u/${filename}").file("", 3);
    /// assert_eq!(check_policy(&policy, &empty, now).unwrap().key, "u/");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn file_without_filename(mut self, size: u64) -> Submission {
        if self.file.is_none() {
            self.unnamed_file = true;
        }
        self.file("", size)
    }

    /// Whether the file part carried a `filename` parameter (see
    /// [`Submission::file_without_filename`]).
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// assert!(Submission::new("b-1").file("a.txt", 1).filename_sent());
    /// assert!(!Submission::new("b-1").file_without_filename(1).filename_sent());
    /// ```
    pub fn filename_sent(&self) -> bool {
        self.file.is_some() && !self.unnamed_file
    }

    /// The measured size of the multipart body before the file's content
    /// (boundaries, part headers and field values), when the server knows
    /// it. Without it the size is estimated from the fields.
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").field("key", "a").form_bytes(30_000);
    /// assert_eq!(form.form_size(), 30_000);
    /// ```
    pub fn form_bytes(mut self, bytes: u64) -> Submission {
        self.measured_bytes = Some(bytes);
        self
    }

    /// Marks the form as received over plain HTTP (no TLS between the
    /// browser and the server, or its proxy). S3 refuses SSE-C fields over
    /// plain HTTP (`InvalidRequest`); the verifier does too for a form so
    /// marked. Unmarked, a form is taken to have come over TLS: a server
    /// behind a TLS-terminating proxy leaves it so.
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// assert!(!Submission::new("b-1").is_plain_http());
    /// assert!(Submission::new("b-1").plain_http().is_plain_http());
    /// ```
    pub fn plain_http(mut self) -> Submission {
        self.plain_http = true;
        self
    }

    /// Whether the form is marked as received over plain HTTP (see
    /// [`Submission::plain_http`]).
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// assert!(Submission::new("b-1").field("key", "a").plain_http().is_plain_http());
    /// ```
    pub fn is_plain_http(&self) -> bool {
        self.plain_http
    }

    /// The bucket the form was posted to.
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// let form = Submission::new("examplebucket").field("key", "a");
    /// assert_eq!(form.bucket(), "examplebucket");
    /// ```
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The fields S3 reads: those before the file, in order, as sent.
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").field("Key", "a").field("acl", "private").file("a", 1).field("x", "1");
    /// let fields: Vec<_> = form.fields().collect();
    /// assert_eq!(fields, [("Key", "a"), ("acl", "private")]);
    /// ```
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The fields after the file, which S3 ignores.
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").field("key", "a").file("a.txt", 1).field("acl", "private").file("b.txt", 2);
    /// let ignored: Vec<_> = form.ignored_fields().collect();
    /// assert_eq!(ignored, [("acl", "private"), ("file", "b.txt")]);
    /// ```
    pub fn ignored_fields(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.after_file
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The first value of a field S3 reads (name case-insensitive).
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").field("Content-Type", "text/plain").file("a", 1).field("acl", "private");
    /// assert_eq!(form.get("content-type"), Some("text/plain"));
    /// assert_eq!(form.get("acl"), None); // sent after the file
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The uploaded file, if the form had one.
    ///
    /// ```
    /// # use policy_runtime::verify::Submission;
    /// let form = Submission::new("b-1").field("key", "a");
    /// assert_eq!(form.uploaded_file(), None);
    /// let form = form.file(r"C:\docs\a.txt", 5);
    /// assert_eq!(form.uploaded_file().map(|f| f.base_name()), Some("a.txt"));
    /// ```
    pub fn uploaded_file(&self) -> Option<&UploadedFile> {
        self.file.as_ref()
    }

    /// The size of the form data before the file that S3 limits to
    /// [`MAX_FORM_BYTES`]: the measured size if given (but never less than
    /// the names and values themselves), else an estimate of the multipart
    /// encoding with a 38-byte boundary.
    ///
    /// ```
    /// use policy_runtime::verify::Submission;
    /// let small = Submission::new("b-1").field("key", "a").file("f", 1);
    /// assert!(small.form_size() < 300);
    /// let big = Submission::new("b-1").field("x-amz-meta-a", "x".repeat(21_000));
    /// assert!(big.form_size() > 21_000);
    /// ```
    pub fn form_size(&self) -> u64 {
        let len = |s: &String| s.len() as u64;
        let raw: u64 = self
            .fields
            .iter()
            .map(|(n, v)| len(n) + len(v))
            .sum::<u64>()
            + self.file.as_ref().map_or(0, |f| f.name.len() as u64);
        if let Some(measured) = self.measured_bytes {
            return measured.max(raw);
        }
        // --BOUNDARY CRLF, the disposition header, CRLF CRLF, value, CRLF.
        let per_part = 2 + ASSUMED_BOUNDARY + 2 + DISPOSITION + 4 + 2;
        let file_part = self.file.as_ref().map_or(0, |_| {
            // name="file"; filename="..." and a Content-Type line.
            2 + ASSUMED_BOUNDARY + 2 + DISPOSITION + 4 + 13 + 40 + 4
        });
        raw.saturating_add(per_part.saturating_mul(self.fields.len() as u64))
            .saturating_add(file_part)
    }
}
