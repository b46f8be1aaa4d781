import type { UserWorkspaceConfig } from 'vitest/config';

/** Builds one vitest project for a package; `name` is the project name shown in reports. */
export function etcProject(name: string, overrides?: UserWorkspaceConfig): UserWorkspaceConfig;
