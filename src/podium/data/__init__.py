"""Reading competition data files, checking them and profiling their columns."""

from podium.data.loader import (
    CompetitionData,
    file_fingerprint,
    load_data,
    profile_files,
    resolve_data_dir,
)
from podium.data.profile import ColumnProfile, Profile, profile_columns

__all__ = [
    "ColumnProfile",
    "CompetitionData",
    "Profile",
    "file_fingerprint",
    "load_data",
    "profile_columns",
    "profile_files",
    "resolve_data_dir",
]
