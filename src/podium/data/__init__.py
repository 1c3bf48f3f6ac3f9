"""Reading competition data files and checking them."""

from podium.data.loader import CompetitionData, file_fingerprint, load_data, resolve_data_dir

__all__ = ["CompetitionData", "file_fingerprint", "load_data", "resolve_data_dir"]
