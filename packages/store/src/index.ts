export {
  maxNotifyBytes,
  StoreError,
  isStoreError,
  type CollectionRef,
  type EntityKind,
  type EntityRef,
  type JsonPage,
  type ListPage,
  type ListQuery,
  type ReadTx,
  type Store,
  type StoredEntity,
  type StoreErrorKind,
  type TallyField,
  type TallyGroup,
  type TallyWeight,
  type TaskCountGroup,
  type WriteOptions,
  type WriteTx,
} from "./store.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite/sqliteStore.js";
export { predicateToSql, type SqlFragment } from "./sqlite/predicateSql.js";
export { PostgresStore, type PostgresStoreOptions } from "./postgres/postgresStore.js";
export { openStore, parseStoreLocation, describeStoreLocation, type OpenStoreOptions, type StoreLocation } from "./open.js";
export { pgPredicateSql } from "./postgres/predicateSql.js";
export { PgCoordination, type CoordinationOptions, type LiveReplica, type ReplicaInfo } from "./postgres/coordination.js";
export { PgSharedData } from "./postgres/sharedData.js";
export { notifyChannel } from "./postgres/postgresTx.js";
export type { EntityRow, KindCount } from "./entityRows.js";
