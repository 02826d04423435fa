import { Link } from "react-router";
import { Empty, PageHeader } from "../components/ui";

export function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty>
        Nothing lives here. <Link to="/platforms">Go to your platforms</Link>.
      </Empty>
    </>
  );
}
