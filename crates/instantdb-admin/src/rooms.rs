//! Room presence (`db.rooms` upstream).

use http::Method;
use instantdb_schema::IndexMap;
use serde_json::Value;

use crate::Call;
use crate::user::User;
use crate::wire::{PresenceResponse, WirePresenceSession};
use crate::{AdminClient, Error};

/// The rooms API; see [`AdminClient::rooms`].
#[derive(Debug, Clone)]
pub struct Rooms {
    pub(crate) client: AdminClient,
}

/// One peer in a room.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PresenceSession {
    /// The peer id (`peer-id`).
    pub peer_id: Option<String>,
    /// The signed-in user, `None` for anonymous peers.
    pub user: Option<User>,
    /// The presence data the peer published.
    pub data: Value,
}

impl Rooms {
    /// Who is in room `room_id` (`GET /admin/rooms/presence`), keyed by session id; empty when
    /// nobody is (the server answers `sessions: null`). `room_type` is required by the server
    /// but does not scope the lookup: rooms are keyed by id alone.
    pub fn get_presence(
        &self,
        room_type: &str,
        room_id: &str,
    ) -> Call<IndexMap<String, PresenceSession>> {
        let client = self.client.clone();
        let room_type = room_type.to_owned();
        let room_id = room_id.to_owned();
        Call::new("get_presence", move |options| async move {
            let client = client.with_request_options(options);
            let response: PresenceResponse = client
                .admin_request(Method::GET, "/admin/rooms/presence", false)?
                .query("room-type", &room_type)
                .query("room-id", &room_id)
                .send_json()
                .await?;
            let mut sessions = IndexMap::new();
            for (session_id, session) in response.sessions.unwrap_or_default() {
                let session: WirePresenceSession =
                    serde_json::from_value(session).map_err(|err| {
                        Error::protocol(format!(
                            "GET /admin/rooms/presence: session {session_id} is malformed: {err}"
                        ))
                    })?;
                sessions.insert(
                    session_id,
                    PresenceSession {
                        peer_id: session.peer_id,
                        user: session.user.map(User::from),
                        data: session.data,
                    },
                );
            }
            Ok(sessions)
        })
    }
}
