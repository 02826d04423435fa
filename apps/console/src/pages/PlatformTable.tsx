import { useCursorPages } from "../api/pages";
import { Link } from "react-router";
import { registry, type PlatformFilter } from "../api/registry";
import { Empty, ErrorNotice, LoadMore, Loading, StatusBadge, Table } from "../components/ui";
import { dateTime } from "../lib/format";
import type { ReactNode } from "react";

/** A paged list of platforms ("Load more" follows the cursor). */
export function PlatformTable({ filter, showTenant, empty }: { filter: PlatformFilter; showTenant?: boolean; empty: ReactNode }) {
  const { q, items: rows, total } = useCursorPages(["platforms", filter.status ?? "", filter.tier ?? ""], (cursor) =>
    registry.list({ ...filter, cursor }),
  );
  if (q.isPending) return <Loading what="Loading platforms" />;
  if (q.error) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return (
    <>
      <p className="muted small" aria-live="polite">
        {total} platform{total === 1 ? "" : "s"}
      </p>
      <Table caption="Platforms" head={["Name", "Slug", "Status", "Tier", ...(showTenant ? ["Tenant"] : []), "Created"]}>
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
      </Table>
      <LoadMore q={q} />
    </>
  );
}
