import { Link } from "react-router";
import { can, useMe } from "../auth/session";
import { Empty, PageHeader } from "../components/ui";
import { PlatformTable } from "./PlatformTable";

export function Platforms() {
  const me = useMe();
  const tenant = me.data?.session?.activeOrganizationId;
  const manage = can(me.data, "platforms:manage");
  return (
    <>
      <PageHeader title="Platforms">
        {tenant && manage ? (
          <Link className="btn btn-primary" to="/platforms/new">
            Onboard a platform
          </Link>
        ) : null}
      </PageHeader>
      {tenant ? (
        <PlatformTable
          filter={{}}
          empty={
            manage ? (
              <>
                No platforms yet. <Link to="/platforms/new">Onboard your first platform</Link>.
              </>
            ) : (
              "No platforms in this tenant yet."
            )
          }
        />
      ) : (
        <Empty>
          Platforms belong to a tenant. <Link to="/tenant/new">Create a tenant</Link> or accept an invitation first.
        </Empty>
      )}
    </>
  );
}
