"""Audio: joining synthesised pieces, levelling, filtering and encoding, MP3 frames, ffmpeg.

``level`` joins, levels and encodes one segment; ``dsp`` holds the signal processing it uses;
``mp3frames`` reads, scrubs and joins MP3 streams from their bytes; ``ffmpeg`` runs ffmpeg and
ffprobe on finished files.
"""
