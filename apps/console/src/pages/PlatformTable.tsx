import { useInfiniteQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { registry, type PlatformFilter } from "../api/registry";
import { Button, Empty, ErrorNotice, Loading, StatusBadge, Table } from "../components/ui";
import { dateTime } from "../lib/format";
import type { ReactNode } from "react";

/** A paged list of platforms ("Load more" follows the cursor). */
export function PlatformTable({ filter, showTenant, empty }: { filter: PlatformFilter; showTenant?: boolean; empty: ReactNode }) {
  const q = useInfiniteQuery({
    queryKey: ["platforms", filter.status ?? "", filter.tier ?? ""],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => registry.list({ ...filter, cursor: pageParam }),
    getNextPageParam: (last) => (last.pagination.hasMore ? last.pagination.nextCursor : null),
  });
  if (q.isPending) return <Loading what="Loading platforms" />;
  if (q.error) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  const rows = q.data.pages.flatMap((p) => p.data);
  const total = q.data.pages[0]?.pagination.total ?? 0;
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <>
      <p className="muted small" aria-live="polite">
        {total} platform{total === 1 ? "" : "s"}
      </p>
      <Table caption="Platforms">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Slug</th>
            <th scope="col">Status</th>
            <th scope="col">Tier</th>
            {showTenant ? <th scope="col">Tenant</th> : null}
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.id} data-platform={p.slug}>
              <td>
                <Link to={`/platforms/${p.id}`}>{p.name}</Link>
              </td>
              <td>
                <code>{p.slug}</code>
              </td>
              <td>
                <StatusBadge status={p.status} />
              </td>
              <td>{p.tier}</td>
              {showTenant ? (
                <td>
                  <code>{p.ownerTenantId}</code>
                </td>
              ) : null}
              <td>{dateTime(p.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {q.hasNextPage ? (
        <Button busy={q.isFetchingNextPage} onClick={() => q.fetchNextPage()}>
          Load more
        </Button>
      ) : null}
    </>
  );
}
