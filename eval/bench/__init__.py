"""`rag bench`: indexing and query speed, memory and cold start of newsqa beside plain LlamaIndex, at growing corpus sizes."""
