import {
  IconBroadcast,
  IconBuildingBank,
  IconChartHistogram,
  IconCpu,
  IconFileSpreadsheet,
  IconGauge,
  IconKey,
  IconListCheck,
  IconListSearch,
  IconMessageCircleCog,
  IconMessages,
  IconPlugConnected,
  IconReportMoney,
  IconScale,
  IconTemplate,
  IconUsers,
} from '@tabler/icons-react';
import type { ComponentType } from 'react';
import type { Permission } from '@/lib/authorization';

export interface NavItem {
  path: string;
  label: string;
  icon: ComponentType<{ size?: number; stroke?: number }>;
  need: Permission | readonly Permission[];
  /** Pages that configure a tenant: hidden from roles that may only use it. */
  group: 'Decisioning' | 'Risk' | 'Configuration' | 'Administration';
}

export const NAV: NavItem[] = [
  { path: '/score', label: 'Score an application', icon: IconGauge, need: 'applications:create', group: 'Decisioning' },
  { path: '/batches', label: 'Batch scoring', icon: IconFileSpreadsheet, need: 'batches:create', group: 'Decisioning' },
  {
    path: '/applications',
    label: 'Applications',
    icon: IconListCheck,
    need: ['applications:read', 'applications:read_own'],
    group: 'Decisioning',
  },
  { path: '/monitoring', label: 'Monitoring', icon: IconChartHistogram, need: 'monitoring:read', group: 'Risk' },
  { path: '/portfolio', label: 'Portfolio', icon: IconReportMoney, need: 'portfolio:read', group: 'Risk' },
  { path: '/messages', label: 'Messages', icon: IconMessages, need: 'channels:read', group: 'Risk' },
  { path: '/bureaus', label: 'Bureau integrations', icon: IconPlugConnected, need: 'bureaus:read', group: 'Configuration' },
  { path: '/models', label: 'Models', icon: IconCpu, need: 'models:read', group: 'Configuration' },
  { path: '/policy', label: 'Policy', icon: IconScale, need: 'policy:read', group: 'Configuration' },
  { path: '/contact-policy', label: 'Contact policy', icon: IconMessageCircleCog, need: 'channels:read', group: 'Configuration' },
  { path: '/templates', label: 'Templates', icon: IconTemplate, need: 'channels:read', group: 'Configuration' },
  { path: '/channels', label: 'Channels', icon: IconBroadcast, need: 'channels:read', group: 'Configuration' },
  { path: '/tenants', label: 'Tenants', icon: IconBuildingBank, need: 'tenants:manage', group: 'Administration' },
  { path: '/users', label: 'Users', icon: IconUsers, need: 'users:read', group: 'Administration' },
  { path: '/api-keys', label: 'API keys', icon: IconKey, need: 'api_keys:manage', group: 'Administration' },
  { path: '/audit', label: 'Audit log', icon: IconListSearch, need: ['audit:read', 'ops:manage'], group: 'Administration' },
];

export const NAV_GROUPS = ['Decisioning', 'Risk', 'Configuration', 'Administration'] as const;
