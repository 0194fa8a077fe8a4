// archive: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { ARCHIVE_LIMITS, runArchive, type ArchiveDeps, type ArchiveHooks, type ArchiveLimits, type ArchivePoint, type ArchiveReport } from './run';
export { isArchivedNumber, readArchivedOrder, readMembers, type ArchivedOrder } from './read';
export { currentInPart, lookupNumbers, nextPartOfDay, orderOfArchivedRefund, type PartMembers } from './archive-repo';
export { restoreArchivedRows } from './restore-repo';
export { beijingDayOf } from './days';
export { collectOrphans, ORPHAN_LIMITS, ORPHAN_PREFIXES, type OrphanHooks, type OrphanLimits, type OrphanPoint, type OrphanReport } from './collect';
