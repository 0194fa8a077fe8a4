// archive: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { ARCHIVE_LIMITS, runArchive, type ArchiveDeps, type ArchiveHooks, type ArchiveLimits, type ArchivePoint, type ArchiveReport } from './run';
export { isArchivedNumber, readArchivedOrder, type ArchivedOrder } from './read';
export { restoreArchivedRows } from './restore-repo';
export { beijingDayOf } from './days';
