import { initAll } from '/web/static/govuk-frontend.min.js';
initAll();
