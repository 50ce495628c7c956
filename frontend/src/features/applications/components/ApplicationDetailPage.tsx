import { Anchor, Group, Stack } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { Link, useParams } from 'react-router';
import { DecisionResult } from '@/components/decision/DecisionResult';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { useApplication } from '../api/get-application';
import { DisbursementPanel } from './DisbursementPanel';

function Detail({ tenant, id }: { tenant: string; id: string }) {
  const app = useApplication(tenant, id);
  return (
    <>
      <Group mb="xs">
        <Anchor component={Link} to="/applications" size="sm">
          <Group gap={4}>
            <IconArrowLeft size={14} /> All applications
          </Group>
        </Anchor>
      </Group>
      <PageHeader
        title={app.data?.external_ref ? `Application ${app.data.external_ref}` : 'Application'}
        description="The stored decision and its explanation, exactly as it was made (model and policy versions recorded)."
      />
      <QueryState query={app} feature="Applications">
        {(data) => (
          <Stack gap="lg">
            {data.decision === 'Approve' && <DisbursementPanel tenant={tenant} applicationId={data.application_id} />}
            <DecisionResult decision={data} />
          </Stack>
        )}
      </QueryState>
    </>
  );
}

export default function ApplicationDetailPage() {
  const { id = '' } = useParams();
  return <WithTenant>{(tenant) => <Detail tenant={tenant} id={id} />}</WithTenant>;
}
