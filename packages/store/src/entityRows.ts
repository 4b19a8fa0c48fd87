/** Entities as stored, for moving a deployment from one store to another (`openbatch store copy`). */
export interface EntityRow {
  readonly account: string;
  readonly kind: string;
  readonly scope: string;
  readonly idKey: string;
  readonly id: string;
  readonly eTag: string;
  readonly createdAt: string;
  readonly modifiedAt: string;
  /** The body's JSON text. */
  readonly body: string;
}

export interface KindCount {
  readonly account: string;
  readonly kind: string;
  readonly count: number;
}
