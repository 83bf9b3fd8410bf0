// The Express 4 test matrix installs express@4 under the alias `express4`; its API is the
// part of @types/express that both majors share.
declare module 'express4' {
  import express = require('express');
  export = express;
}
