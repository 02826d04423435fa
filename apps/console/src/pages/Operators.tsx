import { useState } from "react";
import { STATUSES, TIERS, type PlatformStatus, type Tier } from "../api/types";
import { isOperator, useMe } from "../auth/session";
import { Empty, PageHeader, Select } from "../components/ui";
import { STATUS_LABEL } from "../lib/lifecycle";
import { PlatformTable } from "./PlatformTable";

/** NNO's operators: every platform of every tenant, filtered on the server. */
export function Operators() {
  const me = useMe();
  const [status, setStatus] = useState<PlatformStatus | "">("");
  const [tier, setTier] = useState<Tier | "">("");
  if (!isOperator(me.data)) return <Empty>Only NNO's platform admins see this page.</Empty>;
  return (
    <>
      <PageHeader title="All platforms" />
      <div className="row filters">
        <Select label="Status" value={status} onChange={(e) => setStatus(e.target.value as PlatformStatus | "")}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </Select>
        <Select label="Tier" value={tier} onChange={(e) => setTier(e.target.value as Tier | "")}>
          <option value="">any</option>
          {TIERS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </Select>
      </div>
      <PlatformTable filter={{ status, tier }} showTenant empty="No platform matches." />
    </>
  );
}
