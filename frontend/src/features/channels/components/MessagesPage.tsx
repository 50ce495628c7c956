import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { MessageLog } from './MessageLog';

export default function MessagesPage() {
  return (
    <>
      <PageHeader
        title="Messages"
        description="Every SMS, WhatsApp message, e-mail and call to borrowers — sent, delivered, read, failed, or blocked by the contact policy with the rule that blocked it."
      />
      <WithTenant>{(tenant) => <MessageLog tenant={tenant} />}</WithTenant>
    </>
  );
}
