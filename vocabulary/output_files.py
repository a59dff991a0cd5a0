"""Files a command writes: their paths checked before the work, their contents all or nothing.

A calibration or a long export that fails only when it writes its result has wasted the work,
and a file cut short by a full disk looks like a result. So every output path is checked up
front (:func:`check_output_file`), and every file is written beside its target under a
temporary name and renamed into place only once complete (:func:`write_files`): a failure
leaves nothing behind and reads as one line, the reason the system gave.
"""

import os
import secrets
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from vocabulary.errors import InputError

Writer = Callable[[Path], None]
"""Writes a file's whole content to the path it is given."""


def check_output_file(path: Path, option: str, *, force: bool | None = None) -> None:
    """Refuse, before any work, an output path that a write would fail on or should not touch.

    Args:
        path: the file to write.
        option: how the user gave it (``--out``), to start the message with.
        force: None for a command without ``--force``: an existing regular file is replaced,
            a symbolic link is not (it may point anywhere). False: ``--force`` not given,
            neither is replaced. True: both are.

    Raises:
        InputError: the folder is missing or not writable, or the path is a folder, a device
            or other special file, or a file or link that may not be replaced.
    """
    where = f"{option} {path}"
    check_folder(path.parent, option, path=path)
    if path.is_symlink():
        if not force:
            hint = "add --force to replace the link" if force is False else "give the file itself"
            raise InputError(f"{where}: is a symbolic link; {hint}")
        return
    if not path.exists():
        return
    if path.is_dir():
        raise InputError(f"{where}: is a folder; give a file name")
    if not stat.S_ISREG(path.stat().st_mode):
        raise InputError(f"{where}: is a device or other special file, not a regular file")
    if force is False:
        raise InputError(f"{where}: already exists; choose another {option} or add --force")


def check_folder(folder: Path, option: str, *, path: Path | None = None) -> None:
    """Refuse a folder that is missing, not a folder, or that this process cannot write in.

    Raises:
        InputError: naming ``path`` (or the folder) and what is wrong with the folder.
    """
    where = f"{option} {path or folder}"
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InputError(f"{where}: folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{where}: folder {folder} is not writable")


def write_files(writers: Mapping[Path, Writer], option: str) -> list[Path]:
    """Write each file beside its target, then rename them all into place once all are whole.

    A full disk or a read-only folder met half-way removes every temporary file, so no target
    is touched; a rename within a folder needs no space, so the renames all succeed or the
    first fails.

    Returns:
        The targets, in the order given.

    Raises:
        InputError: in one line, when the system refuses a write (``no space left on device``).
    """
    temporaries: dict[Path, Path] = {}
    try:
        for target, write in writers.items():
            temporaries[target] = _temporary_beside(target)
            write(temporaries[target])
        for target, temporary in temporaries.items():
            os.replace(temporary, target)
    except OSError as error:
        raise InputError(f"{option} {target}: cannot write it ({reason(error)})") from None
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
    return list(writers)


def reason(error: OSError) -> str:
    """What the system said, as a message continues it: ``no space left on device``."""
    text = os.strerror(error.errno) if error.errno else str(error)
    return text[:1].lower() + text[1:]


def _temporary_beside(target: Path) -> Path:
    """A new empty file in ``target``'s folder, hidden, with ``target``'s suffix.

    Beside the target so that the rename stays within one file system; with the suffix
    because some writers pick the format from it. Created with the usual modes (the umask
    applies), since the rename keeps them.
    """
    temporary = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return temporary
