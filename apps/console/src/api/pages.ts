// Cursor-paged lists (`{data, pagination: {hasMore, nextCursor, total}}`) as one
// infinite query: the pages loaded so far, flattened, and the next page on demand.
import { useInfiniteQuery, type QueryKey } from "@tanstack/react-query";
import type { CursorPage } from "./types";

export function useCursorPages<T>(queryKey: QueryKey, load: (cursor: string | null) => Promise<CursorPage<T>>) {
  const q = useInfiniteQuery({
    queryKey,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => load(pageParam),
    getNextPageParam: (last) => (last.pagination.hasMore ? last.pagination.nextCursor : null),
  });
  const items = q.data?.pages.flatMap((p) => p.data) ?? [];
  const total = q.data?.pages[0]?.pagination.total ?? 0;
  return { q, items, total };
}
