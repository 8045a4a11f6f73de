/** The seeds' pagination object, as documented in list responses. */
export class PaginationDto {
  /** Rows matching the query. */
  total: number;
  limit: number;
  skip: number;
  /** More rows after this page. */
  hasMore: boolean;
}
