/** The seeds' pagination object: `total` rows match, `limit` and `skip` as applied. */
export class PaginationDto {
  total: number;
  limit: number;
  skip: number;
  /** True when rows after this page exist. */
  hasMore: boolean;
}
