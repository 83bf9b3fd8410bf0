FROM node:20-slim
COPY . .
CMD ["yarn", "run", "serve"]
