"""The HTTP gateway: FastAPI under uvicorn, auth, the OpenAI-compatible API."""
