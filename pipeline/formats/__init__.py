"""The files a listener's device reads: folder layout, tags, transcripts, lyrics, playlists, manifests."""
