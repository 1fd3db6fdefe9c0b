export { RuntimeSettings, llmApiKeySetting } from './config/settings';
export type { RuntimeSettingName } from './config/settings';
