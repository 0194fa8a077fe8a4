/** Obviously fake live secrets for tests (live mode refuses the documented sandbox values); no imports, so Node and workerd tests share it. */
export const LIVE_VARS = {
  WECHAT_MODE: 'live',
  WECHAT_API_KEY: 'FAKEliveKEYforTESTSonly000000000',
  WECHAT_APP_SECRET: 'fake-live-app-secret-for-tests',
  MERCHANT_API_TOKEN: 'fake-live-merchant-token-for-tests',
  CHECKOUT_SECRET: 'fake-live-checkout-secret-for-tests-0001',
  PUBLIC_BASE_URL: 'https://pay.example.com',
};
