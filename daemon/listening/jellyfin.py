"""Jellyfin: the library folder's playlist, written into the server.

After a library refresh, for each ``[[history]] type = "jellyfin"`` with a
``playlist``: ask Jellyfin to scan (``POST /Library/Refresh``), wait while its
"Scan Media Library" task (``GET /ScheduledTasks``, key ``RefreshLibrary``) runs,
find each library file's item by its path (``searchTerm`` by title, then the item
whose ``Path`` ends with the file's path in the folder), then create the playlist
(``POST /Playlists``) or replace the songs of the one of that name in place
(``DELETE /Playlists/{id}/Items?entryIds=``, ``POST /Playlists/{id}/Items?ids=``).
The library folder must be inside one of Jellyfin's music libraries.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from daemon.config import Config, FetchConfig
from daemon.listening.errors import PlayerError
from daemon.listening.library import LibraryResult
from daemon.net import RetryPolicy, SourceError, check_status, client_for, get_json, request
from daemon.sources import JellyfinConfig

__all__ = ["JellyfinPlaylist", "jellyfin_servers", "sync_jellyfin"]

logger = logging.getLogger(__name__)

SCAN_TIMEOUT_S = 600.0


def jellyfin_servers(config: Config) -> list[JellyfinConfig]:
    """The Jellyfin history sources that keep a playlist."""
    return [h for h in config.history if isinstance(h, JellyfinConfig) and h.playlist]


class JellyfinPlaylist:
    """One server's library scan, item look-up and playlist, over the project's client."""

    def __init__(
        self,
        config: JellyfinConfig,
        *,
        fetch: FetchConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.base = config.url.rstrip("/")
        self.client = client_for(fetch or FetchConfig(), transport=transport)
        self.policy = policy
        self.what = f"Jellyfin server {self.base}"
        self.user_id = ""

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = self.config.auth_headers()
        try:
            if method == "GET":
                return get_json(
                    self.client, f"{self.base}{path}", what=self.what, policy=self.policy,
                    headers=headers, **kwargs,
                )  # fmt: skip
            response = request(
                self.client, method, f"{self.base}{path}", what=self.what, policy=self.policy,
                headers=headers, **kwargs,
            )  # fmt: skip
            check_status(response, self.what)
        except SourceError as exc:
            raise PlayerError(
                f"{exc}: fix the jellyfin history's url and token (an API key)"
            ) from None
        try:
            return response.json() if response.content else None
        except ValueError:
            raise PlayerError(f"{self.what}: {method} {path} answered no JSON") from None

    def resolve_user(self) -> None:
        user = self.config.user
        if len(user.replace("-", "")) == 32 and all(c in "0123456789abcdefABCDEF-" for c in user):
            self.user_id = user.replace("-", "")
            return
        for entry in self._call("GET", "/Users") or []:
            if isinstance(entry, dict) and str(entry.get("Name", "")).casefold() == user.casefold():
                self.user_id = str(entry.get("Id", ""))
                return
        raise PlayerError(f"{self.what}: no user named {user!r}: fix the jellyfin history's user")

    def scan(self, poll_s: float = 1.0) -> None:
        """Start a library scan and wait for it to end."""
        self._call("POST", "/Library/Refresh")
        deadline = time.monotonic() + SCAN_TIMEOUT_S
        while self._scanning():
            if time.monotonic() > deadline:
                raise PlayerError(f"{self.what}: still scanning after 10 minutes")
            time.sleep(poll_s)

    def _scanning(self) -> bool:
        tasks = self._call("GET", "/ScheduledTasks", params={"isHidden": "false"}) or []
        task = next(
            (t for t in tasks if isinstance(t, dict) and t.get("Key") == "RefreshLibrary"), {}
        )
        return str(task.get("State", "Idle")) != "Idle"

    def find_item(self, path: str, title: str | None) -> str | None:
        """The id of the audio item at library ``path`` (its path ends with it)."""
        term = title or path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        found = self._call(
            "GET",
            f"/Users/{self.user_id}/Items",
            params={
                "IncludeItemTypes": "Audio",
                "Recursive": "true",
                "Fields": "Path",
                "searchTerm": term,
                "Limit": 50,
            },
        )
        for item in (found or {}).get("Items") or []:
            if str(item.get("Path", "")).replace("\\", "/").endswith("/" + path):
                return str(item["Id"])
        return None

    def replace_playlist(self, name: str, item_ids: list[str]) -> str:
        """Create the playlist ``name`` or replace the items of the one that exists; its id."""
        found = self._call(
            "GET",
            f"/Users/{self.user_id}/Items",
            params={"IncludeItemTypes": "Playlist", "Recursive": "true", "searchTerm": name},
        )
        existing = next(
            (p for p in (found or {}).get("Items") or [] if p.get("Name") == name), None
        )
        if existing is None:
            body = {"Name": name, "Ids": item_ids, "UserId": self.user_id, "MediaType": "Audio"}
            created = self._call("POST", "/Playlists", json=body) or {}
            return str(created.get("Id", ""))
        playlist_id = str(existing["Id"])
        entries = self._call(
            "GET", f"/Playlists/{playlist_id}/Items", params={"userId": self.user_id}
        )
        entry_ids = [str(i["PlaylistItemId"]) for i in (entries or {}).get("Items") or []]
        if entry_ids:
            params = {"entryIds": ",".join(entry_ids)}
            self._call("DELETE", f"/Playlists/{playlist_id}/Items", params=params)
        if item_ids:
            params = {"ids": ",".join(item_ids), "userId": self.user_id}
            self._call("POST", f"/Playlists/{playlist_id}/Items", params=params)
        return playlist_id


def sync_jellyfin(
    config: Config, library: LibraryResult, *, poll_s: float = 1.0, **client: Any
) -> int:
    """Scan, then write each Jellyfin server's playlist from the library's files; how many
    items the playlists hold."""
    total = 0
    for server in jellyfin_servers(config):
        api = JellyfinPlaylist(server, fetch=config.fetch, **client)
        try:
            api.resolve_user()
            api.scan(poll_s)
            ids = [
                item_id
                for entry, f in library.files
                if (item_id := api.find_item(f.path, entry.title)) is not None
            ]
            if library.files and not ids:
                raise PlayerError(
                    f"{api.what} does not see the library folder {library.root}: add it to "
                    "one of Jellyfin's music libraries"
                )
            api.replace_playlist(server.playlist, ids)
        finally:
            api.close()
        logger.info("Jellyfin playlist %s on %s: %d songs", server.playlist, api.base, len(ids))
        total += len(ids)
    return total
