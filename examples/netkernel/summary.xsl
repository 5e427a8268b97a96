<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"
    xmlns="http://www.w3.org/1999/xhtml">
  <xsl:param name="currency"/>
  <xsl:template match="/orders">
    <p id="summary"><xsl:value-of select="count(order)"/> orders, <xsl:value-of
      select="sum(order/@total)"/><xsl:text> </xsl:text><xsl:value-of select="$currency"/></p>
  </xsl:template>
</xsl:stylesheet>
