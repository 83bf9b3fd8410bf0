// The Koa 2 test matrix installs koa@2 under the alias `koa2`; its API is the part of
// @types/koa that both majors share.
declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
