//! What every request builder of the crate has: per-call options and `.await`.

/// A call with nothing left to set but per-call options: the return type of the simple calls
/// ([`Auth::get_user`](crate::Auth::get_user), [`Storage::delete_file`](crate::Storage::delete_file)…).
/// Await it directly or through `send()`; see [`instantdb_http::Call`].
pub type Call<T> = instantdb_http::Call<T, crate::Error>;

/// Gives each request builder (which keeps its `client: AdminClient`) `with_options` and
/// `IntoFuture`, the same as every other request builder of the SDK.
macro_rules! request_builders {
    ($($builder:ty => $output:ty),+ $(,)?) => {
        $(
            impl $builder {
                /// Per-call settings (timeout, retry policy), replacing earlier ones.
                pub fn with_options(mut self, options: instantdb_http::RequestOptions) -> Self {
                    self.client = self.client.with_request_options(options);
                    self
                }
            }

            instantdb_http::into_future!($builder => $output, crate::Error);
        )+
    };
}

request_builders! {
    crate::builder::QueryRequest => serde_json::Value,
    crate::builder::TransactRequest => crate::TxId,
    crate::builder::SubscribeRequest => crate::Subscription,
    crate::builder::UploadRequest => crate::UploadedFile,
    crate::builder::CreateTokenRequest => instantdb_http::Secret,
    crate::builder::VerifyMagicCodeRequest => crate::SignedIn,
    crate::builder::UserFromRequest => Option<crate::User>,
    crate::builder::QueryPermsCheckRequest => crate::QueryPermsCheck,
    crate::builder::TransactPermsCheckRequest => crate::TransactPermsCheck,
}
